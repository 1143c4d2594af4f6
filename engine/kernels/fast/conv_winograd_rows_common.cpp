// The input transform of the Winograd F(4,3) row kernels (see conv_winograd_rows_common.hpp).
#include "engine/kernels/fast/conv_winograd_rows_common.hpp"

#include <algorithm>

namespace attrax::kernels::fast::winograd_rows {

namespace {

// Bᵀ applied to six vectors of rows.
inline void transform_rows(const Vec (&x)[kAlpha], Vec (&v)[kAlpha]) {
  // rows 1 to 4 in pairs: (x4 - 4 x2) ± (x3 - 4 x1) and (x4 - x2) ± 2 (x3 - x1)
  const Vec a = xsimd::fnma(Vec(4.f), x[2], x[4]), b = xsimd::fnma(Vec(4.f), x[1], x[3]);
  const Vec e = x[4] - x[2], f = Vec(2.f) * (x[3] - x[1]);
  v[0] = xsimd::fma(Vec(4.f), x[0], xsimd::fnma(Vec(5.f), x[2], x[4]));
  v[1] = a + b;
  v[2] = a - b;
  v[3] = e + f;
  v[4] = e - f;
  v[5] = xsimd::fma(Vec(4.f), x[1], xsimd::fnma(Vec(5.f), x[3], x[5]));
}

}  // namespace

void transform_input(const RowTiles& tiles, std::int64_t planes, const float* plane, const float* zeros,
                     std::int64_t i, std::int64_t image, float* v) {
  float* out[kAlpha];
  for (std::int64_t xi = 0; xi < kAlpha; ++xi)
    out[xi] = v + (xi * planes + i) * tiles.v_row + image * tiles.span;
  for (std::int64_t t = 0; t < tiles.tile_rows; ++t) {
    const float* rows[kAlpha];
    for (std::int64_t j = 0; j < kAlpha; ++j) {
      const std::int64_t h = kTileRows * t + j - 1;
      rows[j] = h >= 0 && h < tiles.H ? plane + h * tiles.W : zeros;
    }
    const std::int64_t at = t * tiles.S + 1;
    Vec x[kAlpha], transformed[kAlpha];
    if (tiles.W < kVec) {
      for (std::int64_t j = 0; j < kAlpha; ++j) x[j] = load_first(rows[j], tiles.W);
      transform_rows(x, transformed);
      for (std::int64_t xi = 0; xi < kAlpha; ++xi) store_first(transformed[xi], tiles.W, out[xi] + at);
    } else {
      // whole vectors, the last one moved left to end at column W - 1
      for (std::int64_t next = 0; next < tiles.W; next += kVec) {
        const std::int64_t c = std::min(next, tiles.W - kVec);
        for (std::int64_t j = 0; j < kAlpha; ++j) x[j] = Vec::load_unaligned(rows[j] + c);
        transform_rows(x, transformed);
        for (std::int64_t xi = 0; xi < kAlpha; ++xi) transformed[xi].store_unaligned(out[xi] + at + c);
      }
    }
    for (std::int64_t xi = 0; xi < kAlpha; ++xi) out[xi][at - 1] = out[xi][at + tiles.W] = 0.f;
  }
}

void clear_tail(const RowTiles& tiles, std::int64_t planes, std::int64_t images, float* v) {
  for (std::int64_t row = 0; row < kAlpha * planes; ++row)
    std::fill(v + row * tiles.v_row + images * tiles.span, v + (row + 1) * tiles.v_row, 0.f);
}

}  // namespace attrax::kernels::fast::winograd_rows
