#pragma once
// What the Winograd F(4,3) row kernels share (conv_winograd_rows.cpp: forward and input gradient;
// conv_winograd_rows_weight_grad.cpp): the tiles of four output rows, the layout of the transformed
// input V and the transforms
//   Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G  = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// of Lavin and Gray (2016) for the points 0, ±1, ±2 and ∞, with which
//   y = Aᵀ [(G g) ⊙ (Bᵀ d)]
// is the correlation y_e = Σ_r g_r d_{e+r} of six values d with three taps g (e < 4).
#include <cstdint>

#include "engine/kernels/fast/conv_common.hpp"

namespace attrax::kernels::fast::winograd_rows {

constexpr std::int64_t kTileRows = 4;  // output rows per tile
constexpr std::int64_t kAlpha = 6;     // input rows per tile, and transformed rows: kTileRows + 2

// G[ξ][r]
inline constexpr float kG[kAlpha][3] = {{1.f / 4, 0.f, 0.f},          {-1.f / 6, -1.f / 6, -1.f / 6},
                                        {-1.f / 6, 1.f / 6, -1.f / 6}, {1.f / 24, 1.f / 12, 1.f / 6},
                                        {1.f / 24, -1.f / 12, 1.f / 6}, {0.f, 0.f, 1.f}};

// The positions of a group of `images` H x W planes: each plane's tile rows one after the other,
// each a padded row of S = W + 2 columns, then the next plane's: π = j span + t S + c for padded
// column c of tile row t of plane j. (Small planes join several images so that fewer lanes hold
// padding: at 7x7, one image fills 38% of 16 lanes with pixels, eight fill 68%.)
struct RowTiles {
  std::int64_t H, W, images;
  std::int64_t tile_rows, S, span;  // span = tile_rows S positions of one plane
  std::int64_t vectors, lanes;      // vectors covering the group's images · span positions
  std::int64_t v_row;               // one row of V: the lanes and a vector for the shifts s ≤ 2

  RowTiles(std::int64_t height, std::int64_t width, std::int64_t group = 1)
      : H(height),
        W(width),
        images(group),
        tile_rows(ceil_div(height, kTileRows)),
        S(width + 2),
        span(tile_rows * S),
        vectors(ceil_div(group * span, kVec)),
        lanes(vectors * kVec),
        v_row(lanes + kVec) {}

  // floats of V for `planes` input planes
  std::int64_t v_floats(std::int64_t planes) const { return kAlpha * planes * v_row; }
  // the share of the computed positions that are pixels of the planes (the others: padding
  // columns, rows past H, the last vector's tail)
  double fill() const { return double(images * H * W) / double(kTileRows * lanes); }
};

// V[ξ][i][π] = Σ_j Bᵀ[ξ][j] xpad_i[4t + j][c] (π = image span + t S + c) of input plane i of
// `planes` of one image of the group, into v[(ξ planes + i) v_row + π], read from the unpadded
// plane: padded column c is plane column c - 1, the padding columns 0 and W + 1 of each row are
// zero, and rows outside the plane read `zeros` (W of them).
void transform_input(const RowTiles& tiles, std::int64_t planes, const float* plane, const float* zeros,
                     std::int64_t i, std::int64_t image, float* v);

// Zeros from the positions of the first `images` images of the group to the end of every row of
// V, which the lanes past them read.
void clear_tail(const RowTiles& tiles, std::int64_t planes, std::int64_t images, float* v);

}  // namespace attrax::kernels::fast::winograd_rows
