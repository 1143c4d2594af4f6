#pragma once
// How an iterative attack estimates the gradient of its loss at the current point: plainly, or
// through the transfer-attack transforms (input diversity, spectrum simulation, translation-
// invariant smoothing; see attacks/transfer.hpp).
#include <functional>

#include "adversarial/losses.hpp"
#include "engine/random.hpp"

namespace attrax::adversarial {

// (model, x, labels, loss, gen) -> ∇_x Σ_n loss_n, shaped like x. `gen` supplies any randomness.
using GradientEstimator = std::function<Tensor(nn::Module& model, const Tensor& x,
                                               const Tensor& labels, const SampleLoss& loss,
                                               Generator& gen)>;

// ∇_x Σ_n loss_n(model(x)) — the plain gradient.
Tensor plain_gradient(nn::Module& model, const Tensor& x, const Tensor& labels,
                      const SampleLoss& loss, Generator& gen);

}  // namespace attrax::adversarial
