#pragma once
// The interface every attack implements. An attack maps a batch of images in [0, 1] and their
// labels to adversarial images of the same shape, in eval mode, computing gradients with respect to
// the input only. Labels are the true classes (untargeted: move away from them) or target classes
// (targeted: move towards them).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "adversarial/threat.hpp"
#include "engine/tensor.hpp"
#include "nn/module.hpp"

namespace attrax::adversarial {

class Attack {
 public:
  virtual ~Attack() = default;

  // A short name for reports: "pgd", "apgd-ce", ...
  virtual std::string name() const = 0;
  // The ball the result lies in; nullopt for minimum-norm attacks run without a budget.
  virtual std::optional<ThreatModel> threat() const = 0;
  virtual bool targeted() const = 0;

  // Checks x ([N, C, H, W] float32 in [0, 1]) and labels (int64 [N]) — ShapeError/ValueError naming
  // the problem — then runs the attack with the model in eval mode (its mode is restored after) and
  // projects the result onto the threat model's ball ∩ [0, 1].
  Tensor operator()(nn::Module& model, const Tensor& x, const Tensor& labels);

 protected:
  // The attack proper, on validated inputs with the model in eval mode.
  virtual Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) = 0;
};

// The default step size of iterative attacks: α = 2.5 · ε / steps (Madry et al. 2018).
double default_step_size(double eps, std::int64_t steps);

}  // namespace attrax::adversarial
