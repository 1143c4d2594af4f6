// The direct 3x3 kernels (see conv_direct_3x3.hpp). A tile is kRows output rows x one vector of
// columns of kOutputs output planes. A vector loaded from source row t feeds output rows t (tap row
// r = 0), t - 1 (r = 1) and t - 2 (r = 2) of every output in the tile:
//   acc[b][j] += w[b][i][r][s] · in_i[h0 + j + r - 1][w0 + s - 1 ...],   t = j + r.
// In place, rows above or below the plane read a row of zeros, and the chunks at a row's two ends
// load the vector that lies inside the row instead of the one reaching a column past it, sum those
// taps apart and shift that sum by one lane at the end (a zero entering from the edge).
#include "engine/kernels/fast/conv_direct_3x3.hpp"

#include <algorithm>
#include <utility>

#include "engine/kernels/fast/conv_common.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

namespace {

constexpr std::int64_t kRows = 4;
constexpr std::int64_t kSourceRows = kRows + 2;
// Output planes per tile of the padded kernel: four where 32 vector registers hold their 16 sums and
// 12 weights (AVX-512, AArch64), else two.
constexpr std::int64_t kPaddedOutputs = XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64 ? 4 : 2;

// Which column taps of a chunk reach past the plane: s = 0 at the left edge (column -1), s = 2 at
// the right edge (column W). A padded source has no edges.
enum Edge : unsigned { kInside = 0, kLeft = 1, kRight = 2, kBoth = 3 };

// Source planes as the tiles read them: logical row h of plane i at column 0, or a row of zeros
// (readable from column -1) outside rows [first_row, end_row).
struct Rows {
  const float* plane0;
  std::int64_t plane_floats, row_floats, first_row, end_row;
  const float* zero;

  const float* row(std::int64_t i, std::int64_t h) const {
    return h >= first_row && h < end_row ? plane0 + i * plane_floats + h * row_floats : zero;
  }
};

template <std::int64_t kOutputs>
using Acc = Vec[kOutputs][kRows];

// Source row t through tap rows r = 0, 1, 2 into output rows t, t - 1, t - 2 of every output b.
template <std::size_t t, std::int64_t kOutputs>
inline void accumulate_row(const float* src, const Vec (&w)[kOutputs][3], Acc<kOutputs>& acc) {
  const Vec v = Vec::load_unaligned(src);
  for (std::int64_t b = 0; b < kOutputs; ++b) {
    if constexpr (t < kRows) acc[b][t] = xsimd::fma(w[b][0], v, acc[b][t]);
    if constexpr (t >= 1 && t <= kRows) acc[b][t - 1] = xsimd::fma(w[b][1], v, acc[b][t - 1]);
    if constexpr (t >= 2) acc[b][t - 2] = xsimd::fma(w[b][2], v, acc[b][t - 2]);
  }
}

// acc[b][j] += Σ_r w_b[r][s] · rows[j + r][column ...]: the three taps of column shift s.
template <std::size_t s, std::int64_t kOutputs, std::size_t... t>
inline void accumulate_shift(std::index_sequence<t...>, const float* const* rows, std::int64_t column,
                             const float* const* w9, Acc<kOutputs>& acc) {
  Vec w[kOutputs][3];
  for (std::int64_t b = 0; b < kOutputs; ++b)
    for (std::size_t r = 0; r < 3; ++r) w[b][r] = Vec(w9[b][3 * r + s]);
  (accumulate_row<t, kOutputs>(rows[t] + column, w, acc), ...);
}

// [0, v0, ..., v(n-2)]
inline Vec shifted_right(const Vec& v) {
  alignas(64) float lanes[2 * kVec] = {};
  v.store_unaligned(lanes + 1);
  return Vec::load_unaligned(lanes);
}

// [v1, ..., v(n-1), 0]
inline Vec shifted_left(const Vec& v) {
  alignas(64) float lanes[2 * kVec] = {};
  v.store_aligned(lanes);
  return Vec::load_unaligned(lanes + 1);
}

struct Tile {
  std::int64_t planes;                // input planes of the group
  std::int64_t h0, rows_valid, w0;    // output rows [h0, h0 + rows_valid), columns [w0, w0 + kVec)
};

// out[b][(h0 + j) W + w0 ...] for j < rows_valid and b < kOutputs, with weights[b]: [planes][3][3]
// and start[b] the bias.
template <unsigned kEdge, std::int64_t kOutputs>
void compute_tile(const Tile& tile, const Rows& source, const float* const* weights, const float* start,
                  std::int64_t W, float* const* out) {
  constexpr auto rows_seq = std::make_index_sequence<kSourceRows>();
  Acc<kOutputs> acc, left, right;
  for (std::int64_t b = 0; b < kOutputs; ++b)
    for (std::int64_t j = 0; j < kRows; ++j) {
      acc[b][j] = Vec(start[b]);
      left[b][j] = right[b][j] = Vec(0.f);
    }
  for (std::int64_t i = 0; i < tile.planes; ++i) {
    const float* rows[kSourceRows];
    for (std::int64_t t = 0; t < kSourceRows; ++t) rows[t] = source.row(i, tile.h0 - 1 + t);
    const float* w9[kOutputs];
    for (std::int64_t b = 0; b < kOutputs; ++b) w9[b] = weights[b] + i * 9;
    if constexpr ((kEdge & kLeft) != 0) accumulate_shift<0, kOutputs>(rows_seq, rows, tile.w0, w9, left);
    else accumulate_shift<0, kOutputs>(rows_seq, rows, tile.w0 - 1, w9, acc);
    accumulate_shift<1, kOutputs>(rows_seq, rows, tile.w0, w9, acc);
    if constexpr ((kEdge & kRight) != 0) accumulate_shift<2, kOutputs>(rows_seq, rows, tile.w0, w9, right);
    else accumulate_shift<2, kOutputs>(rows_seq, rows, tile.w0 + 1, w9, acc);
  }
  for (std::int64_t b = 0; b < kOutputs; ++b)
    for (std::int64_t j = 0; j < tile.rows_valid; ++j) {
      Vec v = acc[b][j];
      if constexpr ((kEdge & kLeft) != 0) v += shifted_right(left[b][j]);
      if constexpr ((kEdge & kRight) != 0) v += shifted_left(right[b][j]);
      v.store_unaligned(out[b] + (tile.h0 + j) * W + tile.w0);
    }
}

// Every column chunk of output rows [h0, h0 + rows_valid) of outputs [o, o + kOutputs) of image n.
// The last chunk is moved left to end at the last column (rewriting a few columns). kEdges: the
// source has no padding, so the chunks at a row's ends need their edge taps shifted.
template <std::int64_t kOutputs, bool kEdges>
void compute_rows(const Direct3x3& d, const Rows& source, std::int64_t n, std::int64_t o, std::int64_t h0,
                  float* out) {
  const std::int64_t group_inputs = d.inputs / d.groups;
  Tile tile{group_inputs, h0, std::min(kRows, d.H - h0), 0};
  const float* weights[kOutputs];
  float start[kOutputs];
  float* planes[kOutputs];
  for (std::int64_t b = 0; b < kOutputs; ++b) {
    weights[b] = d.weights + (o + b) * group_inputs * 9;
    start[b] = d.bias ? d.bias[o + b] : 0.f;
    planes[b] = out + (n * d.outputs + o + b) * d.H * d.W;
  }
  for (std::int64_t next = 0; next < d.W; next += kVec) {
    tile.w0 = std::min(next, d.W - kVec);
    if constexpr (!kEdges) {
      compute_tile<kInside, kOutputs>(tile, source, weights, start, d.W, planes);
    } else {
      switch ((tile.w0 == 0 ? kLeft : kInside) | (tile.w0 == d.W - kVec ? kRight : kInside)) {
        case kInside: compute_tile<kInside, kOutputs>(tile, source, weights, start, d.W, planes); break;
        case kLeft: compute_tile<kLeft, kOutputs>(tile, source, weights, start, d.W, planes); break;
        case kRight: compute_tile<kRight, kOutputs>(tile, source, weights, start, d.W, planes); break;
        default: compute_tile<kBoth, kOutputs>(tile, source, weights, start, d.W, planes); break;
      }
    }
  }
}

// Asks for the source rows that the tile after the one at h0 adds (rows h0 + kRows + 1 onwards) of
// every plane. The tiles read all planes at once, more streams than the hardware prefetcher follows:
// without this the stem's input gradient ran about 10% slower at batch 128 than padding dy first.
void prefetch_next_rows(const Rows& source, std::int64_t planes, std::int64_t h0, std::int64_t H,
                        std::int64_t W) {
  constexpr std::int64_t kLineFloats = 16;  // a 64-byte cache line
  for (std::int64_t i = 0; i < planes; ++i)
    for (std::int64_t h = h0 + kRows + 1; h < std::min(H, h0 + 2 * kRows + 1); ++h)
      for (std::int64_t w = 0; w < W; w += kLineFloats) __builtin_prefetch(source.row(i, h) + w);
}

// 2 · outputs · H · W · 9 · (inputs per group)
double flops_per_image(const Direct3x3& d) {
  return 2.0 * double(d.outputs * d.H * d.W * 9 * (d.inputs / d.groups));
}

// W + 2 zeros, readable from index -1 of the returned pointer: the calling thread's scratch.
const float* zero_row(std::int64_t W) {
  float* zeros = scratch(3, std::size_t(W + 2));
  std::fill_n(zeros, W + 2, 0.f);
  return zeros + 1;
}

}  // namespace

bool direct_3x3_applies(const ConvGeometry& g) {
  return g.R == 3 && g.S == 3 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 1 && g.pad_w == 1 &&
         g.dil_h == 1 && g.dil_w == 1 && g.W >= kVec;
}

bool direct_3x3_padded_applies(const ConvGeometry& g, std::int64_t outputs_per_group) {
  return direct_3x3_applies(g) && outputs_per_group % kPaddedOutputs == 0;
}

bool direct_3x3_beats_gemm(const ConvGeometry& g, std::int64_t outputs_per_group) {
  return kPaddedOutputs == 4 && outputs_per_group <= kVec && direct_3x3_padded_applies(g, outputs_per_group);
}

void direct_3x3_in_place(const Direct3x3& d, const float* in, float* out) {
  const std::int64_t plane = d.H * d.W, row_tiles = ceil_div(d.H, kRows);
  const std::int64_t group_inputs = d.inputs / d.groups, group_outputs = d.outputs / d.groups;
  const float* zero = zero_row(d.W);
  // item = (image, output plane, tile of kRows rows)
  const bool parallel = worth_threads(double(d.N) * flops_per_image(d), d.N);
  parallel_for(d.N * d.outputs * row_tiles, parallel, [&](std::int64_t item) {
    const std::int64_t rt = item % row_tiles, o = item / row_tiles % d.outputs;
    const std::int64_t n = item / (row_tiles * d.outputs);
    const Rows source{in + (n * d.inputs + o / group_outputs * group_inputs) * plane, plane, d.W, 0, d.H, zero};
    prefetch_next_rows(source, group_inputs, rt * kRows, d.H, d.W);
    compute_rows<1, true>(d, source, n, o, rt * kRows, out);
  });
}

void direct_3x3_padded(const Direct3x3& d, const float* in, float* out) {
  const PaddedImages padded{in, d.inputs, d.H, d.W, 1, 1, 1, 1};
  const std::int64_t row_tiles = ceil_div(d.H, kRows), Wp = d.W + 2;
  const std::int64_t group_inputs = d.inputs / d.groups, group_outputs = d.outputs / d.groups;
  const float* zero = zero_row(d.W);
  // item = (kPaddedOutputs outputs, tile of kRows rows) of one image: their planes are written in order
  const std::int64_t items = row_tiles * d.outputs / kPaddedOutputs;
  for_each_image_item(d.N, items, flops_per_image(d), padded, [] {}, [&](std::int64_t n, const float* image,
                                                                          std::int64_t item) {
    const std::int64_t o = item / row_tiles * kPaddedOutputs, h0 = item % row_tiles * kRows;
    // logical row h of plane i is padded row h + 1 from padded column 1; rows -1 and H are the borders
    const Rows source{image + o / group_outputs * group_inputs * padded.plane_floats() + Wp + 1,
                      padded.plane_floats(), Wp, -1, d.H + 1, zero};
    compute_rows<kPaddedOutputs, false>(d, source, n, o, h0, out);
  });
}

}  // namespace attrax::kernels::fast
