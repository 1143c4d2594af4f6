#pragma once
// Batch normalisation over the channel axis of NCHW (or NC) tensors.
#include "engine/tensor.hpp"

namespace attrax {

struct BatchNormOptions {
  bool training = true;     // batch statistics (and running-stat update) vs running statistics
  double momentum = 0.1;    // running = (1 - momentum) running + momentum batch
  double eps = 1e-5;
};

// x: [N,C,H,W] or [N,C]; gamma, beta, running_mean, running_var: [C] (gamma/beta may be undefined:
// 1 and 0). Training: y = (x - mean) / sqrt(var + eps) * gamma + beta with the biased batch variance,
// and running_mean/var (if defined) updated in place with the unbiased variance, as PyTorch.
// Eval: the same with running statistics.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, const BatchNormOptions& options = {});

}  // namespace attrax
