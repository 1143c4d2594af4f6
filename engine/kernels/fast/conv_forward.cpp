// conv2d forward as an implicit GEMM per image and group:
//   y[k][m] = bias[k] + Σ_{(c,r,s)} xpad[base(m) + tap(c,r,s)] · w[k][c][r][s]
// with m = (p,q) an output position, base(m) = p sh Wp + q sw and tap = c Hp Wp + r dh Wp + s dw in
// the zero-padded image. Rows of the micro-tile are positions, columns output channels.
#include <algorithm>
#include <vector>

#include "engine/kernels/fast/conv.hpp"
#include "engine/kernels/fast/conv_common.hpp"
#include "engine/kernels/fast/conv_direct.hpp"
#include "engine/kernels/fast/conv_direct_3x3.hpp"
#include "engine/kernels/fast/conv_pointwise.hpp"
#include "engine/kernels/fast/conv_winograd_rows.hpp"
#include "engine/kernels/fast/epilogue_row.hpp"

namespace attrax::kernels::fast {

namespace {

// The implicit GEMM with micro-tiles of Shape: rows are positions, columns output channels.
template <class Shape>
void forward_gemm(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                  const float* scale, const ConvEpilogue<float>& epilogue) {
  constexpr std::int64_t R = Shape::rows, N = Shape::columns;
  const std::int64_t Wp = g.W + 2 * g.pad_w, plane = (g.H + 2 * g.pad_h) * Wp;
  const std::int64_t Cg = g.C / g.groups, Kg = g.K / g.groups, depth = Cg * g.R * g.S;
  const std::int64_t PQ = g.P * g.Q, panels = ceil_div(Kg, N), tiles = ceil_div(PQ, R);
  const std::int64_t* tap_table = kernel_taps(g, Wp, plane);
  const std::int64_t* base_table = position_bases(g, Wp);
  float* packed = scratch(1, std::size_t(g.groups * panels * depth * N));

  // packed[group][panel][(c,r,s)][j] = w[k][(c,r,s)] scale[k],  k = group Kg + panel N + j
  const auto pack_weights = [&] {
    ATTRAX_OMP(for schedule(static) nowait)
    for (std::int64_t gp = 0; gp < g.groups * panels; ++gp) {
      const float* wg = w + (gp / panels) * Kg * depth;
      const float* sg = scale ? scale + (gp / panels) * Kg : nullptr;
      pack_transposed<N>(wg, depth, sg, depth, Kg, gp % panels, packed + gp * depth * N);
    }
  };
  // item = (group, panel, chunk of about 48 positions: kChunk tiles of R)
  constexpr std::int64_t kChunk = 48 / R;
  const std::int64_t chunks = ceil_div(tiles, kChunk);
  // Each chunk's outputs take the epilogue once the chunk is stored, while they are in L1.
  const auto compute_chunk = [&](std::int64_t n, const float* image, std::int64_t item) {
    const std::int64_t chunk = item % chunks, panel = item / chunks % panels, group = item / (chunks * panels);
    const float* group_image = image + group * Cg * plane;
    const float* weights = packed + (group * panels + panel) * depth * N;
    const std::int64_t k0 = group * Kg + panel * N, columns = std::min(N, Kg - panel * N);
    float* out = y + (n * g.K + k0) * PQ;
    // the panel's biases, zero past its last channel
    alignas(64) float bias_panel[N] = {};
    if (bias) std::copy_n(bias + k0, columns, bias_panel);
    const std::int64_t first = chunk * kChunk * R, last = std::min(PQ, first + kChunk * R);
    for (std::int64_t m0 = first; m0 < last; m0 += R) {
      const std::int64_t count = std::min(R, PQ - m0);
      const float* rows[R];
      for (std::int64_t i = 0; i < R; ++i) rows[i] = group_image + base_table[std::min(m0 + i, PQ - 1)];
      alignas(64) float tile[R * N];
      if (bias) {
        for (std::int64_t i = 0; i < R; ++i) std::copy_n(bias_panel, N, tile + i * N);
      }
      tile_gemm<Shape>(depth, rows, TableOffsets{tap_table}, weights, tile, bias != nullptr);
      store_transposed<Shape>(tile, count, columns, kConsecutive, PQ, out + m0);
    }
    if (!epilogue.empty())
      for (std::int64_t j = 0; j < columns; ++j) {
        const std::int64_t offset = (n * g.K + k0 + j) * PQ + first;
        epilogue_row(epilogue, y + offset, last - first, y, offset);
      }
  };
  // The GEMM reads only inside the padded image, so without padding it reads x in place.
  PaddedImages source{x, g.C, g.H, g.W, g.pad_h, g.pad_h, g.pad_w, g.pad_w};
  source.in_place = g.pad_h == 0 && g.pad_w == 0;
  const double flops = 2.0 * double(g.K * PQ * depth);
  for_each_image_item(g.N, g.groups * panels * chunks, flops, source, pack_weights, compute_chunk);
}

// The epilogue as a pass of its own over y, for the kernels that do not apply it as they store.
void apply_after(const ConvGeometry& g, const ConvEpilogue<float>& epilogue, float* y) {
  if (epilogue.empty()) return;
  constexpr std::int64_t kPiece = 4096;
  const std::int64_t count = g.N * g.K * g.P * g.Q;
  parallel_for(ceil_div(count, kPiece), count >= 8 * kPiece, [&](std::int64_t piece) {
    epilogue_row(epilogue, y + piece * kPiece, std::min(kPiece, count - piece * kPiece), y, piece * kPiece);
  });
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                    const float* scale, const ConvEpilogue<float>& epilogue) {
  const std::int64_t Hp = g.H + 2 * g.pad_h, Wp = g.W + 2 * g.pad_w, plane = Hp * Wp;
  const std::int64_t Cg = g.C / g.groups, Kg = g.K / g.groups, depth = Cg * g.R * g.S;
  // Pointwise at stride 1 (at stride 2 its gathered panel lost to the implicit GEMM, which reads the
  // strided positions in place: 16→32 channels at 28x28, batch 32, 2 threads, 96-99 vs 105-119 GFLOP/s).
  if (pointwise_applies(g) && g.stride_h == 1 && g.stride_w == 1) {
    pointwise_forward(g, x, w, bias, scale, y);
    return apply_after(g, epilogue, y);
  }
  if (row_winograd_applies(g))
    return row_winograd_3x3({.N = g.N, .inputs = g.C, .outputs = g.K, .H = g.H, .W = g.W, .weights = w,
                             .scale = scale, .bias = bias, .epilogue = epilogue}, x, y);
  // Few taps (the image stem, depthwise), or 3x3 layers with few outputs where four output planes
  // fit a tile: a direct kernel, vectorised along output rows.
  const bool few_taps = g.stride_h == 1 && g.stride_w == 1 && depth <= 2 * kDirectColumns;
  if (few_taps || direct_3x3_beats_gemm(g, Kg)) {
    const float* weights = w;
    if (scale) {
      // scaled[k][i] = w[k][i] scale[k]
      float* scaled = scratch(2, std::size_t(g.K * depth));
      for (std::int64_t i = 0; i < g.K * depth; ++i) scaled[i] = w[i] * scale[i / depth];
      weights = scaled;
    }
    if (direct_3x3_padded_applies(g, Kg)) {
      direct_3x3_padded({g.N, g.C, g.K, g.H, g.W, g.groups, weights, bias}, x, y);
    } else {
      const PaddedImages source{x, g.C, g.H, g.W, g.pad_h, g.pad_h, g.pad_w, g.pad_w};
      const DirectConv direct{g.N, g.K, g.P, g.Q, g.groups, Cg * plane, Wp, depth, kernel_taps(g, Wp, plane),
                              weights, bias};
      direct_conv(direct, source, y);
    }
    return apply_after(g, epilogue, y);
  }
  if (seven_row_tiles_pay(Kg, [&](std::int64_t rows) { return rows_in_tiles(g.P * g.Q, rows); }))
    return forward_gemm<SevenRowTile>(g, x, w, bias, y, scale, epilogue);
  with_tile_shape(Kg, [&](auto shape) { forward_gemm<decltype(shape)>(g, x, w, bias, y, scale, epilogue); });
}

}  // namespace attrax::kernels::fast
