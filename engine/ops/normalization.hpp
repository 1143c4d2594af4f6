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

// relu(batch_norm(x, ...) + residual) as one op (residual of x's shape and dtype, or undefined:
// relu(batch_norm(x, ...))), the pair and the triple every ResNet repeats. In training one pass
// writes y from x and the statistics, and the backward pass takes the ReLU's gate [y > 0] inside
// batch norm's two passes (recomputing it from x when there is no residual), so neither batch norm's
// output nor the gated gradient is stored: two to five fewer passes over the activation than the
// composition. Values and gradients of every order are the composition's; a GradientRules override
// of ReLU applies here as at a separate relu (with the recomputed input). In eval mode one pass
// writes y from x and the running statistics, and the backward pass gates g by [y > 0].
Tensor batch_norm_relu(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                       Tensor running_var, const BatchNormOptions& options = {}, const Tensor& residual = {});

}  // namespace attrax
