#pragma once
// Fast float32 batch-norm kernels on x seen as [N, C, inner]: xsimd along rows, OpenMP over rows
// (n, c), so each thread reads the images the convolutions gave it. Each channel's sums run in a
// fixed order: vector partial sums per row, rows added in double in image order, so results do not
// depend on the thread count.
#include "engine/kernels/geometry.hpp"
#include "engine/kernels/relu_gate.hpp"

namespace attrax::kernels::fast {

// mean[c] and biased var[c] over images and positions (one pass over x: each row's squares about its
// own mean while it is in cache)
void batch_norm_statistics(const AxisGeometry& g, const float* x, float* mean, float* var);
// y = x scale[c] + shift[c]
void batch_norm_apply(const AxisGeometry& g, const float* x, const float* scale, const float* shift,
                      float* y);
// y = max(x scale[c] + shift[c] + residual, 0), residual may be null (relu_gate.hpp)
void batch_norm_apply_relu(const AxisGeometry& g, const float* x, const float* scale, const float* shift,
                           const float* residual, float* y);
// dx = gamma invstd (g - Σg/n - xhat Σgx/n), dgamma = Σgx, dbeta = Σg (gamma may be null: 1), where
// g = grad, or grad ⊙ [y > 0] behind a ReLU's gate (relu_gate.hpp)
void batch_norm_backward(const AxisGeometry& g, const float* x, const float* grad, const float* mean,
                         const float* invstd, const float* gamma, float* dx, float* dgamma,
                         float* dbeta, const ReluGate<float>* gate = nullptr);

}  // namespace attrax::kernels::fast
