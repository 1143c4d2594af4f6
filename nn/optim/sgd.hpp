#pragma once
// Stochastic gradient descent as torch.optim.SGD:
//   g ← ∇p + λ p;  b ← μ b + (1 − τ) g (b ← g on the first step);  g ← g + μ b (Nesterov) or b;
//   p ← p − lr g
#include "nn/optim/optimizer.hpp"

namespace attrax::nn {

struct SgdOptions {
  double lr = 0.1;
  double momentum = 0.0;      // μ
  double dampening = 0.0;     // τ
  double weight_decay = 0.0;  // λ
  bool nesterov = false;      // needs momentum > 0 and dampening = 0
};

class Sgd : public Optimizer {
 public:
  // Throws ValueError for lr < 0, momentum < 0, weight_decay < 0, or nesterov without momentum or
  // with dampening.
  Sgd(std::vector<Tensor> params, const SgdOptions& options);
  void step() override;
  std::vector<NamedTensor> state() const override;
  void load_state(const std::vector<NamedTensor>& state) override;

 private:
  SgdOptions options_;
  std::vector<Tensor> momentum_buffers_;  // undefined until first used
};

}  // namespace attrax::nn
