#pragma once
// Direct 3x3 convolution at stride 1 with padding 1 for few channels on one side (the image stem,
// forward and input gradient):
//   out[n][o][h][w] = bias[o] + Σ_i Σ_{r,s < 3} weights[o][i][r][s] · in[n][first(o) + i][h+r-1][w+s-1]
// where reads outside the H x W plane count as zero and first(o) is the first input channel of
// output o's group. Each vector loaded from a source row serves the three output rows it is a tap
// of (and, in the forward pass, two output channels), so loads no longer outnumber FMAs.
#include <cstdint>

#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::fast {

struct Direct3x3 {
  std::int64_t N;                 // images
  std::int64_t inputs, outputs;   // in: [N, inputs, H, W], out: [N, outputs, H, W]
  std::int64_t H, W;
  std::int64_t groups;            // output o reads the inputs of group o / (outputs/groups)
  const float* weights;           // [outputs][inputs / groups][3][3]
  const float* bias = nullptr;    // [outputs], or null for 0
};

// Whether g is a 3x3 convolution at stride 1, padding 1 and dilation 1 on planes at least one
// vector wide (the kernels compute whole vectors of columns).
bool direct_3x3_applies(const ConvGeometry& g);

// Reads `in` where it is, with no padded copy: rows outside the plane read zeros and the vectors at
// a row's two ends are shifted by a lane. For many input planes per output (the stem's input
// gradient sums 16 planes of dy into one), where padding the planes cost as much as the arithmetic.
void direct_3x3_in_place(const Direct3x3& d, const float* in, float* out);

// Whether direct_3x3_padded runs g with `outputs_per_group` output planes per group: it computes
// two (four with 32 vector registers) of them from every vector it loads.
bool direct_3x3_padded_applies(const ConvGeometry& g, std::int64_t outputs_per_group);

// Whether direct_3x3_padded is faster than the implicit GEMM for g: with four outputs per tile and
// at most one vector of them per group (the GEMM's narrow tiles). It loads 0.375 values per FMA
// where a narrow tile loads 1.08, and stores whole vectors instead of transposing its tiles
// (AVX-512, conv16x16_28s1 forward at 1 thread: 62% → 72–76% of the FMA peak).
bool direct_3x3_beats_gemm(const ConvGeometry& g, std::int64_t outputs_per_group);

// Pads each image's planes first (cheap when there are few, as in the stem's forward pass) and then
// computes two or four output channels from every vector it loads (direct_3x3_padded_applies).
void direct_3x3_padded(const Direct3x3& d, const float* in, float* out);

}  // namespace attrax::kernels::fast
