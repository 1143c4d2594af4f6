#pragma once
// Per-sample losses that attacks ascend, and the input gradient of a loss.
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/tensor.hpp"
#include "nn/module.hpp"

namespace attrax::adversarial {

// logits [N, K], labels int64 [N] -> [N]
using SampleLoss = std::function<Tensor(const Tensor& logits, const Tensor& labels)>;

// CE_n = −log softmax(z_n)[y_n]
Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& labels);

// Difference of logits ratio (Croce & Hein 2020), untargeted, with z sorted descending (π):
//   DLR_n = −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e-12)            (needs K ≥ 3)
Tensor dlr_per_sample(const Tensor& logits, const Tensor& labels);

// Targeted DLR towards t (Croce & Hein 2020, eq. 7), with y the true class:
//   DLR_n = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12)            (needs K ≥ 4)
Tensor targeted_dlr_per_sample(const Tensor& logits, const Tensor& labels, const Tensor& targets);

// What an attack ascends: the loss itself when untargeted (labels = true classes), its negative
// when targeted (labels = target classes), so that ascending moves towards the target.
SampleLoss ascent_loss(SampleLoss loss, bool targeted);

struct LossGradient {
  Tensor loss;      // [N], detached
  Tensor gradient;  // ∇_x Σ_n loss_n, shaped like x
  Tensor logits;    // [N, K], detached
};

// The loss of model(x) and its gradient with respect to x only: the model's parameters get no
// gradient and no weight-gradient kernel runs. Samples are independent in eval mode, so row n of
// the gradient is ∇ loss_n.
LossGradient loss_gradient(nn::Module& model, const Tensor& x, const Tensor& labels,
                           const SampleLoss& loss);

// argmax over classes of logits [N, K] -> one class per sample
std::vector<std::int64_t> predictions(const Tensor& logits);

// Whether each sample meets the attack's goal: prediction ≠ label (untargeted) or = label (targeted).
std::vector<bool> goal_reached(const Tensor& logits, const Tensor& labels, bool targeted);

// Switches a model to eval mode for an attack and restores its previous mode afterwards.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(nn::Module& model) : model_(model), was_training_(model.is_training()) {
    model_.eval();
  }
  ~EvalModeGuard() { model_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  nn::Module& model_;
  bool was_training_;
};

}  // namespace attrax::adversarial
