#pragma once
// Pieces shared by the fast convolution kernels: zero-padded image copies and packed weight panels.
#include <cstdint>

#include "engine/kernels/fast/tile_gemm.hpp"

namespace attrax::kernels::fast {

// dst: [images, channels, H + top + bottom, W + left + right] = src: [images, channels, H, W] with
// zero borders. Runs inside the caller's parallel region (an `omp for` over images and channels).
void pad_planes(const float* src, std::int64_t planes, std::int64_t H, std::int64_t W,
                std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right,
                float* dst);

// Packs column block `panel` of B (depth x columns, element (k, j) = b(k, j)) into
// panel[k * kTileN + j'], zero past `columns`.
template <class B>
void pack_panel(std::int64_t depth, std::int64_t columns, std::int64_t panel, B b, float* out) {
  const std::int64_t first = panel * kTileN;
  for (std::int64_t k = 0; k < depth; ++k) {
    for (std::int64_t j = 0; j < kTileN; ++j)
      out[k * kTileN + j] = first + j < columns ? b(k, first + j) : 0.f;
  }
}

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace attrax::kernels::fast
