#pragma once
// Direct 3x3 convolution at stride 1 with padding 1, reading its source where it is (no padded copy),
// for one or a few outputs summed over several input planes (the image stem's input gradient):
//   out[n][o][h][w] = bias[o] + Σ_i Σ_{r,s < 3} weights[o][i][r][s] · in[n][first(o) + i][h + r - 1][w + s - 1]
// where reads outside the H x W plane count as zero and first(o) is the first input channel of
// output o's group. There a padded copy of the source costs as much as the arithmetic: the stem's
// input gradient spent half its time padding the 16 planes of dy for its one output plane.
#include <cstdint>

#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::fast {

struct Direct3x3 {
  std::int64_t N;                 // images
  std::int64_t inputs, outputs;   // in: [N, inputs, H, W], out: [N, outputs, H, W]
  std::int64_t H, W;
  std::int64_t groups;            // output o reads inputs [o / (outputs/groups) · inputs/groups, +inputs/groups)
  const float* weights;           // [outputs][inputs / groups][3][3]
  const float* bias = nullptr;    // [outputs], or null for 0
};

// Whether direct_3x3 suits g with `planes` input planes per output: a 3x3 convolution at stride 1,
// padding 1 and dilation 1 on planes at least one vector wide (it computes whole vectors of
// columns), summing enough planes to repay its per-tile edge handling (with one or two planes per
// output, as in the stem's forward pass or a depthwise convolution, the padded direct kernel is
// faster).
bool direct_3x3_applies(const ConvGeometry& g, std::int64_t planes);

void direct_3x3(const Direct3x3& d, const float* in, float* out);

}  // namespace attrax::kernels::fast
