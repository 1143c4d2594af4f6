#pragma once
// Pointwise convolutions (1x1 kernel, no padding, one group: the ResNet shortcut projections) as one
// plain GEMM per image, with channels as the micro-tile's rows and positions as its columns:
//   y[k][m] = bias[k] + Σ_c (scale[k] w[k][c]) x[c][at(m)],   at(m = (p, q)) = p sh W + q sw
// Tiles of output channels x positions store straight into y's rows. (The implicit GEMM, positions
// x channels, stores each tile transposed; with a depth of only 16 or 32 channels those stores cost
// more than the FMAs. Batch 32, 2 threads: 1x1 16→32 channels at 14x14, stride 1, forward 41 (the
// direct kernel) → 117 GFLOP/s,
// the stride-2 shortcuts' input gradients 46-49 → 78-86 (16→32 at 28x28) and 81-82 → 92-94
// (32→64 at 14x14).)
#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::fast {

// Whether g is a pointwise convolution these kernels compute.
bool pointwise_applies(const ConvGeometry& g);

// x: [N,C,H,W], w: [K,C,1,1], bias, scale: [K] or null -> y: [N,K,P,Q] (overwritten). Any stride;
// conv2d_forward calls it at stride 1 only (see there).
void pointwise_forward(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                       const float* scale, float* y);

// dy: [N,K,P,Q], w: [K,C,1,1] -> dx: [N,C,H,W] (overwritten):
//   dx[c][p sh][q sw] = Σ_k w[k][c] dy[k][p][q], zero at the positions no output reads (stride > 1)
void pointwise_input_grad(const ConvGeometry& g, const float* dy, const float* w, float* dx);

}  // namespace attrax::kernels::fast
