#pragma once
// Direct stride-1 convolution over a zero-padded source, for problems with few channels on one
// side (the 1- or 3-channel image stem, forward and input gradient; depthwise convolutions):
//   out[n][o][h][w] = bias[o] + Σ_k weights[o][k] · src_n[group(o) + taps[k] + h row + w]
#include <algorithm>
#include <cstdint>

#include "engine/kernels/fast/conv_common.hpp"

namespace attrax::kernels::fast {

struct DirectConv {
  std::int64_t N;                        // images
  std::int64_t outputs, out_h, out_w;    // out: [N, outputs, out_h, out_w]
  std::int64_t groups;                   // output o reads source channels of group o / (outputs / groups)
  std::int64_t group_stride;             // floats between the source channels of consecutive groups
  std::int64_t row;                      // floats between source rows
  std::int64_t depth;                    // taps per output
  const std::int64_t* taps;              // [depth] offsets in the padded source
  const float* weights;                  // [outputs][depth]
  const float* bias = nullptr;           // [outputs], the start of each sum, or null for 0
};

// Runs the direct convolution over the padded copies of `source` (the kernel reads up to kSlack
// floats past an image, so source.in_place must be false).
inline void direct_conv(const DirectConv& d, const PaddedImages& source, float* out) {
  const std::int64_t row_tiles = ceil_div(d.out_h, kDirectRows);
  const std::int64_t per_group = d.outputs / d.groups;
  // item = (output channel, row tile); the column tiles are its inner loop
  const auto compute_rows = [&](std::int64_t n, const float* image, std::int64_t item) {
    const std::int64_t rt = item % row_tiles, o = item / row_tiles;
    const std::int64_t h0 = rt * kDirectRows, rows_valid = std::min(kDirectRows, d.out_h - h0);
    const float* source = image + o / per_group * d.group_stride;
    float* plane = out + (n * d.outputs + o) * d.out_h * d.out_w + h0 * d.out_w;
    const float* rows[kDirectRows];
    float* targets[kDirectRows];
    for (std::int64_t next = 0; next < d.out_w; next += kDirectColumns) {
      // A last partial tile is shifted left to end at the last column (recomputing a few columns
      // with identical results) so that every store is a full vector.
      const std::int64_t w0 = d.out_w >= kDirectColumns ? std::min(next, d.out_w - kDirectColumns) : next;
      for (std::int64_t i = 0; i < kDirectRows; ++i) {
        rows[i] = source + (h0 + std::min(i, rows_valid - 1)) * d.row + w0;
        targets[i] = plane + i * d.out_w + w0;
      }
      direct_tile(d.depth, rows, d.taps, d.weights + o * d.depth, d.bias ? d.bias[o] : 0.f, targets,
                  rows_valid, std::min(kDirectColumns, d.out_w - w0));
    }
  };
  const double flops = 2.0 * double(d.outputs * d.out_h * d.out_w * d.depth);
  for_each_image_item(d.N, d.outputs * row_tiles, flops, source, [] {}, compute_rows);
}

}  // namespace attrax::kernels::fast
