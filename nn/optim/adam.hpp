#pragma once
// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) as torch.optim.Adam / AdamW
// (amsgrad = False):
//   Adam:  g ← ∇p + λ p               AdamW: p ← p (1 − lr λ), g ← ∇p
//   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  t ← t + 1
//   p ← p − lr (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
#include "nn/optim/optimizer.hpp"

namespace attrax::nn {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // λ: L2 added to the gradient (Adam) or decoupled decay (AdamW)
};

class Adam : public Optimizer {
 public:
  // Throws ValueError for lr < 0, betas outside [0, 1), eps <= 0 or weight_decay < 0.
  Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled_weight_decay = false);
  void step() override;
  std::vector<NamedTensor> state() const override;
  void load_state(const std::vector<NamedTensor>& state) override;

 private:
  AdamOptions options_;
  bool decoupled_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;  // m and v, undefined until first used
};

// AdamW: Adam with decoupled weight decay. AdamOptions' weight_decay defaults to 0; pass 0.01 for
// PyTorch's AdamW default (`attrax train --optimizer adamw` does).
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options);
};

}  // namespace attrax::nn
