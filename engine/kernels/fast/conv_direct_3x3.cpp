// The direct 3x3 kernel (see conv_direct_3x3.hpp). A tile is kRows output rows x one vector of
// columns of one output plane. Each vector loaded from a source row serves the (up to) three output
// rows it is a tap of, so one load feeds three FMAs instead of one:
//   acc[j] += w[i][r][s] · in_i[h0 + j + r - 1][w0 + s - 1 ...],   source row t = j + r.
// Rows above or below the plane read a row of zeros. The two column chunks at the plane's edges
// load the vector that lies inside the row instead of the one reaching one column past it, sum
// those taps apart, and shift that sum by one lane at the end (a zero enters from the edge).
#include "engine/kernels/fast/conv_direct_3x3.hpp"

#include <algorithm>
#include <utility>

#include "engine/kernels/fast/conv_common.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

namespace {

constexpr std::int64_t kRows = 4;
constexpr std::int64_t kSourceRows = kRows + 2;

// Which column taps of a chunk reach past the plane: s = 0 at the left edge (column -1), s = 2 at
// the right edge (column W).
enum Edge : unsigned { kInside = 0, kLeft = 1, kRight = 2, kBoth = 3 };

// Source row t feeds output row t through tap row r = 0, row t - 1 through r = 1, row t - 2 through r = 2.
template <std::size_t t>
inline void accumulate_row(const float* src, Vec w0, Vec w1, Vec w2, Vec* acc) {
  const Vec v = Vec::load_unaligned(src);
  if constexpr (t < kRows) acc[t] = xsimd::fma(w0, v, acc[t]);
  if constexpr (t >= 1 && t <= kRows) acc[t - 1] = xsimd::fma(w1, v, acc[t - 1]);
  if constexpr (t >= 2) acc[t - 2] = xsimd::fma(w2, v, acc[t - 2]);
}

// acc[j] += Σ_r w9[r][s] · rows[j + r][column ...]: the three taps of column shift s.
template <std::size_t s, std::size_t... t>
inline void accumulate_shift(std::index_sequence<t...>, const float* const* rows, std::int64_t column,
                             const float* w9, Vec* acc) {
  const Vec w0(w9[s]), w1(w9[3 + s]), w2(w9[6 + s]);
  (accumulate_row<t>(rows[t] + column, w0, w1, w2, acc), ...);
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

struct Chunk {
  const float* source;   // the first input plane of the output's group
  std::int64_t planes;   // input planes of the group
  const float* weights;  // [planes][3][3] of this output
  float start;           // the bias
  std::int64_t h0, rows_valid, w0;
};

// out[h0 + j][w0 ...] for j < rows_valid, one vector of columns.
template <unsigned kEdge>
void compute_chunk(const Chunk& c, std::int64_t H, std::int64_t W, const float* zero, float* out) {
  constexpr auto rows_seq = std::make_index_sequence<kSourceRows>();
  Vec acc[kRows], left[kRows], right[kRows];
  for (std::int64_t j = 0; j < kRows; ++j) {
    acc[j] = Vec(c.start);
    left[j] = right[j] = Vec(0.f);
  }
  for (std::int64_t i = 0; i < c.planes; ++i) {
    const float* plane = c.source + i * H * W;
    const float* rows[kSourceRows];
    for (std::int64_t t = 0; t < kSourceRows; ++t) {
      const std::int64_t h = c.h0 - 1 + t;
      rows[t] = h >= 0 && h < H ? plane + h * W : zero;
    }
    const float* w9 = c.weights + i * 9;
    if constexpr ((kEdge & kLeft) != 0) accumulate_shift<0>(rows_seq, rows, c.w0, w9, left);
    else accumulate_shift<0>(rows_seq, rows, c.w0 - 1, w9, acc);
    accumulate_shift<1>(rows_seq, rows, c.w0, w9, acc);
    if constexpr ((kEdge & kRight) != 0) accumulate_shift<2>(rows_seq, rows, c.w0, w9, right);
    else accumulate_shift<2>(rows_seq, rows, c.w0 + 1, w9, acc);
  }
  for (std::int64_t j = 0; j < c.rows_valid; ++j) {
    Vec v = acc[j];
    if constexpr ((kEdge & kLeft) != 0) v += shifted_right(left[j]);
    if constexpr ((kEdge & kRight) != 0) v += shifted_left(right[j]);
    v.store_unaligned(out + (c.h0 + j) * W + c.w0);
  }
}

}  // namespace

bool direct_3x3_applies(const ConvGeometry& g, std::int64_t planes) {
  return planes >= 4 && g.R == 3 && g.S == 3 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 1 && g.pad_w == 1 &&
         g.dil_h == 1 && g.dil_w == 1 && g.W >= kVec;
}

void direct_3x3(const Direct3x3& d, const float* in, float* out) {
  const std::int64_t plane = d.H * d.W, row_tiles = ceil_div(d.H, kRows);
  const std::int64_t group_inputs = d.inputs / d.groups, group_outputs = d.outputs / d.groups;
  float* zero = scratch(0, std::size_t(d.W));
  std::fill_n(zero, d.W, 0.f);
  // item = (image, output plane, tile of kRows rows); column chunks are its inner loop
  parallel_for(d.N * d.outputs * row_tiles, true, [&](std::int64_t item) {
    const std::int64_t rt = item % row_tiles, o = item / row_tiles % d.outputs, n = item / (row_tiles * d.outputs);
    Chunk c{in + (n * d.inputs + o / group_outputs * group_inputs) * plane, group_inputs,
            d.weights + o * group_inputs * 9, d.bias ? d.bias[o] : 0.f, rt * kRows,
            std::min(kRows, d.H - rt * kRows), 0};
    float* out_plane = out + (n * d.outputs + o) * plane;
    for (std::int64_t next = 0; next < d.W; next += kVec) {
      // The last chunk is moved left to end at the last column (rewriting a few columns).
      c.w0 = std::min(next, d.W - kVec);
      const unsigned edge = (c.w0 == 0 ? kLeft : kInside) | (c.w0 == d.W - kVec ? kRight : kInside);
      switch (edge) {
        case kInside: compute_chunk<kInside>(c, d.H, d.W, zero, out_plane); break;
        case kLeft: compute_chunk<kLeft>(c, d.H, d.W, zero, out_plane); break;
        case kRight: compute_chunk<kRight>(c, d.H, d.W, zero, out_plane); break;
        default: compute_chunk<kBoth>(c, d.H, d.W, zero, out_plane); break;
      }
    }
  });
}

}  // namespace attrax::kernels::fast
