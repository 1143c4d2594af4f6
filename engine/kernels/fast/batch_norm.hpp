#pragma once
// Fast float32 batch-norm kernels on x seen as [N, C, inner]: xsimd along rows, OpenMP over rows
// (n, c), so each thread reads the images the convolutions gave it. Each channel's sums run in a
// fixed order: vector partial sums per row, rows added in double in image order, so results do not
// depend on the thread count.
#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::fast {

// mean[c] and biased var[c] over images and positions (two passes)
void batch_norm_statistics(const AxisGeometry& g, const float* x, float* mean, float* var);
// y = x scale[c] + shift[c]
void batch_norm_apply(const AxisGeometry& g, const float* x, const float* scale, const float* shift,
                      float* y);
// dx = gamma invstd (grad - Σg/n - xhat Σgx/n), dgamma = Σgx, dbeta = Σg (gamma may be null: 1)
void batch_norm_backward(const AxisGeometry& g, const float* x, const float* grad, const float* mean,
                         const float* invstd, const float* gamma, float* dx, float* dgamma,
                         float* dbeta);

}  // namespace attrax::kernels::fast
