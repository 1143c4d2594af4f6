#pragma once
// BatchNorm2d(C) as torch.nn.BatchNorm2d: parameters weight (γ = 1) and bias (β = 0), buffers
// running_mean (0), running_var (1) and num_batches_tracked (int64 0, incremented by every training
// forward). Training normalises with batch statistics and updates the running ones with momentum
// 0.1; eval uses the running statistics.
#include "nn/module.hpp"

namespace attrax::nn {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(std::int64_t channels, double eps = 1e-5, double momentum = 0.1);
  // x: [N, C, H, W] or [N, C]
  Tensor forward(const Tensor& x) override;
  // relu(forward(x) + residual) as the engine's one op batch_norm_relu (residual may be undefined);
  // for callers that fuse a module without a forward hook (see conv_batch_norm.hpp).
  Tensor forward_relu(const Tensor& x, const Tensor& residual = {});
  std::string describe() const override;
  double eps() const { return eps_; }

  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  double eps_, momentum_;
};

}  // namespace attrax::nn
