#include "engine/kernels/fast/conv_pointwise.hpp"

#include <algorithm>
#include <cstring>

#include "engine/kernels/fast/conv_common.hpp"

namespace attrax::kernels::fast {

namespace {

using Shape = WideTile;
constexpr std::int64_t kRows = Shape::rows, kColumns = Shape::columns;

// at[j] = offset in an input plane of output position m0 + j, for the chunk's `count` positions.
void chunk_offsets(const ConvGeometry& g, std::int64_t m0, std::int64_t count, std::int64_t* at) {
  for (std::int64_t j = 0; j < count; ++j) {
    const std::int64_t p = (m0 + j) / g.Q, q = (m0 + j) % g.Q;
    at[j] = p * g.stride_h * g.W + q * g.stride_w;
  }
}

// panel[r][j] = plane_r[at[j]] for r < rows, j < count (zero past count), planes `plane` floats apart.
void gather_panel(const float* planes, std::int64_t plane, std::int64_t rows, const std::int64_t* at,
                  std::int64_t count, float* panel) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* src = planes + r * plane;
    float* dst = panel + r * kColumns;
    for (std::int64_t j = 0; j < count; ++j) dst[j] = src[at[j]];
    std::fill(dst + count, dst + kColumns, 0.f);
  }
}

// place(i, j) = tile[i][j] for i < rows, j < count: the stored part of one tile.
template <class Place>
void store_rows(const float* tile, std::int64_t rows, std::int64_t count, Place place) {
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < count; ++j) place(i, j) = tile[i * kColumns + j];
}

// Rows of the tile for rows first..first+kRows-1 of `matrix` (`stride` floats apart), the last row
// repeated past `rows` (their results are not stored).
void tile_rows(const float* matrix, std::int64_t stride, std::int64_t first, std::int64_t rows,
               const float** out) {
  for (std::int64_t i = 0; i < kRows; ++i) out[i] = matrix + std::min(first + i, rows - 1) * stride;
}

}  // namespace

bool pointwise_applies(const ConvGeometry& g) {
  return g.R == 1 && g.S == 1 && g.pad_h == 0 && g.pad_w == 0 && g.groups == 1;
}

void pointwise_forward(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                       const float* scale, float* y) {
  const std::int64_t PQ = g.P * g.Q, plane = g.H * g.W, chunks = ceil_div(PQ, kColumns);
  // a[k][c] = scale[k] w[k][c], formed once by the calling thread
  const float* a = w;
  if (scale) {
    float* scaled = scratch(2, std::size_t(g.K * g.C));
    for (std::int64_t i = 0; i < g.K * g.C; ++i) scaled[i] = w[i] * scale[i / g.C];
    a = scaled;
  }
  // item = a chunk of kColumns positions of one image, through every output channel
  const auto compute_chunk = [&](std::int64_t n, const float* image, std::int64_t chunk) {
    const std::int64_t m0 = chunk * kColumns, count = std::min(kColumns, PQ - m0);
    std::int64_t at[kColumns];
    chunk_offsets(g, m0, count, at);
    float* panel = scratch(4, std::size_t(g.C * kColumns));
    gather_panel(image, plane, g.C, at, count, panel);
    float* out = y + n * g.K * PQ + m0;
    for (std::int64_t k0 = 0; k0 < g.K; k0 += kRows) {
      const float* rows[kRows];
      tile_rows(a, g.C, k0, g.K, rows);
      alignas(64) float tile[kRows * kColumns];
      for (std::int64_t i = 0; i < kRows && bias; ++i)
        std::fill_n(tile + i * kColumns, kColumns, bias[std::min(k0 + i, g.K - 1)]);
      tile_gemm<Shape>(g.C, rows, ContiguousOffsets{}, panel, tile, bias != nullptr);
      store_rows(tile, std::min(kRows, g.K - k0), count,
                 [&](std::int64_t i, std::int64_t j) -> float& { return out[(k0 + i) * PQ + j]; });
    }
  };
  PaddedImages source{x, g.C, g.H, g.W, 0, 0, 0, 0};
  source.in_place = true;
  for_each_image_item(g.N, chunks, 2.0 * double(g.K * g.C * PQ), source, [] {}, compute_chunk);
}

void pointwise_input_grad(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const std::int64_t PQ = g.P * g.Q, plane = g.H * g.W, chunks = ceil_div(PQ, kColumns);
  const bool strided = g.stride_h > 1 || g.stride_w > 1;
  // wt[c][k] = w[k][c], formed once by the calling thread
  float* wt = scratch(2, std::size_t(g.K * g.C));
  for (std::int64_t k = 0; k < g.K; ++k)
    for (std::int64_t c = 0; c < g.C; ++c) wt[c * g.K + k] = w[k * g.C + c];
  // With a stride, the positions between the ones the outputs read get no gradient: zero every
  // image first (the barrier after prepare keeps these writes before the tiles').
  const auto clear = [&] {
    if (!strided) return;
    ATTRAX_OMP(for schedule(static) nowait)
    for (std::int64_t n = 0; n < g.N; ++n) std::memset(dx + n * g.C * plane, 0, std::size_t(g.C * plane) * sizeof(float));
  };
  // item = a chunk of kColumns output positions of one image, through every input channel
  const auto compute_chunk = [&](std::int64_t n, const float* image, std::int64_t chunk) {
    const std::int64_t m0 = chunk * kColumns, count = std::min(kColumns, PQ - m0);
    std::int64_t at[kColumns];
    chunk_offsets(g, m0, count, at);
    float* panel = scratch(4, std::size_t(g.K * kColumns));
    for (std::int64_t k = 0; k < g.K; ++k) {
      float* dst = panel + k * kColumns;
      std::copy_n(image + k * PQ + m0, count, dst);
      std::fill(dst + count, dst + kColumns, 0.f);
    }
    float* out = dx + n * g.C * plane;
    for (std::int64_t c0 = 0; c0 < g.C; c0 += kRows) {
      const float* rows[kRows];
      tile_rows(wt, g.K, c0, g.C, rows);
      alignas(64) float tile[kRows * kColumns];
      tile_gemm<Shape>(g.K, rows, ContiguousOffsets{}, panel, tile, false);
      store_rows(tile, std::min(kRows, g.C - c0), count,
                 [&](std::int64_t i, std::int64_t j) -> float& { return out[(c0 + i) * plane + at[j]]; });
    }
  };
  PaddedImages source{dy, g.K, g.P, g.Q, 0, 0, 0, 0};
  source.in_place = true;
  for_each_image_item(g.N, chunks, 2.0 * double(g.K * g.C * PQ), source, clear, compute_chunk);
}

}  // namespace attrax::kernels::fast
