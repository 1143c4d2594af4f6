#pragma once
// 3x3 convolutions at stride 1 and padding 1 with Winograd's minimal filtering F(4,3) down the
// columns: four output rows from six input rows with 6 multiplies per kernel column where the
// direct sum takes 12, so half the FMAs of a direct or implicit-GEMM convolution, while the rows
// stay contiguous in the vector lanes (no transposes). Used by the forward pass, by the input
// gradient (the kernel flipped, its channels swapped) and, read backwards, by the weight gradient.
#include <cstdint>

#include "engine/kernels/conv_epilogue.hpp"
#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::fast {

struct RowWinograd {
  std::int64_t N;                // images
  std::int64_t inputs, outputs;  // in: [N, inputs, H, W], out: [N, outputs, H, W]
  std::int64_t H, W;
  // The kernel tap for output o, input i, row r and column s: the forward pass reads
  // weights[o][i][r][s] (times scale[o] when scale is set); `flipped` reads the input gradient's
  // weights[i][o][2 - r][2 - s] of a convolution from `outputs` to `inputs` channels.
  const float* weights;
  bool flipped = false;
  const float* scale = nullptr;  // [outputs] or null
  const float* bias = nullptr;   // [outputs] or null
  ConvEpilogue<float> epilogue{};  // applied to each output row as it is stored
};

// Whether g (one group, 3x3, stride 1, padding 1, dilation 1, eight or more channels each way) is
// better served by row_winograd_3x3 than by the direct kernels: when enough of the vector lanes
// hold output positions, alone or, for small planes and batches of 16 or more, in groups of
// images (see the .cpp).
bool row_winograd_applies(const ConvGeometry& g);

// out = epilogue(conv2d(in, weights) + bias) with padding 1, out overwritten.
void row_winograd_3x3(const RowWinograd& d, const float* in, float* out);

// Whether the weight gradient of g is better served by row_winograd_weight_grad than by the
// direct GEMMs (where one image fills enough of the lanes).
bool row_winograd_weight_grad_applies(const ConvGeometry& g);

// x: [N,C,H,W], dy: [N,K,H,W] -> dw: [K,C,3,3] (overwritten) for a one-group 3x3 g at stride 1,
// padding 1 and dilation 1, with F(4,3) read backwards (see the .cpp). The images are summed in
// fixed blocks: the same for any thread count.
void row_winograd_weight_grad(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace attrax::kernels::fast
