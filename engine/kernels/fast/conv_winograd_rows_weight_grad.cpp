// The weight gradient of a 3x3 convolution at stride 1 and padding 1 with Winograd F(4,3) down the
// columns, read backwards (the transposition principle): for one kernel column s, the three sums
//   z_r = Σ_e f_e d_{e+r},   f_e = dy[4t + e][w],  d_j = xpad[4t + j][w + s],  e < 4, r < 3
// are z = Gᵀ [(A f) ⊙ (Bᵀ d)] with the forward pass's matrices (conv_winograd_rows_common.hpp):
// Σ_e f_e y_e = Σ_r g_r z_r for y = Aᵀ [(G g) ⊙ (Bᵀ d)] and every g. Summed over the tile rows t,
// the columns w and the images n:
//   X[ξ][c][π]     = Σ_j Bᵀ[ξ][j] xpad_c[4t + j][col]               π = t S + col (transform_input)
//   DY[ξ][k][m]    = Σ_e Aᵀ[e][ξ] dy_k[4t + e][w]                    m = t W + w, dy zero past row H
//   M[ξ][(c,s)][k] = Σ_n Σ_m X_n[ξ][c][t S + w + s] · DY_n[ξ][k][m]    six GEMMs, positions deep
//   dw[k][c][r][s] = Σ_ξ G[ξ][r] M[ξ][(c,s)][k]
// Each GEMM is the direct weight gradient's (conv_weight_grad.cpp) with half its depth: rows are
// the taps (c, s), columns the output channels, the depth the positions m of a few joined images,
// and the images are summed in the same fixed blocks, so the results do not depend on the threads.
#include <algorithm>
#include <vector>

#include "engine/kernels/fast/conv_common.hpp"
#include "engine/kernels/fast/conv_winograd_rows.hpp"
#include "engine/kernels/fast/conv_winograd_rows_common.hpp"

namespace attrax::kernels::fast {

namespace {

using winograd_rows::kAlpha;
using winograd_rows::kG;
using winograd_rows::kTileRows;
using winograd_rows::RowTiles;

// Aᵀ's columns applied to four vectors of dy rows: f0, f0 + f1 + f2 + f3, f0 - f1 + f2 - f3,
// f0 + 2 f1 + 4 f2 + 8 f3, f0 - 2 f1 + 4 f2 - 8 f3, f3.
inline void transform_dy_rows(const Vec (&f)[kTileRows], Vec (&out)[kAlpha]) {
  const Vec even = f[0] + f[2], odd = f[1] + f[3];
  const Vec even4 = xsimd::fma(Vec(4.f), f[2], f[0]), odd8 = xsimd::fma(Vec(8.f), f[3], Vec(2.f) * f[1]);
  out[0] = f[0];
  out[1] = even + odd;
  out[2] = even - odd;
  out[3] = even4 + odd8;
  out[4] = even4 - odd8;
  out[5] = f[3];
}

// DY[ξ][k][m] of dy plane k of `planes`, into dy_t[(ξ planes + k) positions + m] with
// positions = tile_rows W; rows past H read `zeros`.
void transform_dy(const RowTiles& tiles, std::int64_t planes, const float* plane, const float* zeros,
                  std::int64_t k, float* dy_t) {
  const std::int64_t W = tiles.W, positions = tiles.tile_rows * W;
  float* out[kAlpha];
  for (std::int64_t xi = 0; xi < kAlpha; ++xi) out[xi] = dy_t + (xi * planes + k) * positions;
  for (std::int64_t t = 0; t < tiles.tile_rows; ++t) {
    const float* rows[kTileRows];
    for (std::int64_t e = 0; e < kTileRows; ++e)
      rows[e] = kTileRows * t + e < tiles.H ? plane + (kTileRows * t + e) * W : zeros;
    Vec f[kTileRows], transformed[kAlpha];
    if (W < kVec) {
      for (std::int64_t e = 0; e < kTileRows; ++e) f[e] = load_first(rows[e], W);
      transform_dy_rows(f, transformed);
      for (std::int64_t xi = 0; xi < kAlpha; ++xi) store_first(transformed[xi], W, out[xi] + t * W);
      continue;
    }
    // whole vectors, the last one moved left to end at column W - 1
    for (std::int64_t next = 0; next < W; next += kVec) {
      const std::int64_t c = std::min(next, W - kVec);
      for (std::int64_t e = 0; e < kTileRows; ++e) f[e] = Vec::load_unaligned(rows[e] + c);
      transform_dy_rows(f, transformed);
      for (std::int64_t xi = 0; xi < kAlpha; ++xi) transformed[xi].store_unaligned(out[xi] + t * W + c);
    }
  }
}

// The six GEMMs with micro-tiles of Shape: rows are the taps (c, s), columns output channels.
template <class Shape>
void weight_grad_gemms(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  constexpr std::int64_t R = Shape::rows, N = Shape::columns;
  const RowTiles tiles(g.H, g.W);
  const std::int64_t C = g.C, K = g.K, plane = g.H * g.W, positions = tiles.tile_rows * g.W;
  const std::int64_t taps = 3 * C, tap_tiles = ceil_div(taps, R), panels = ceil_div(K, N);
  const std::int64_t tiles_per_xi = tap_tiles * panels, tile_floats = R * N;
  const std::int64_t blocks = ceil_div(g.N, kImageBlock), joined = images_per_gemm(positions);
  const std::int64_t x_floats = tiles.v_floats(C);  // one image's X
  // partial[block][ξ][tap tile][panel][i][j]: one block's sums, laid out as micro-tiles
  float* partial = scratch(3, std::size_t(blocks * kAlpha * tiles_per_xi * tile_floats));
  float* zeros = scratch(5, std::size_t(g.W));
  std::fill_n(zeros, g.W, 0.f);
  // where position m = (image, t, w) of the joined images meets tap (c, s) = 0: image X + t S + w
  // (with the shifts s ≤ 2 no position reads past its padded row, so X's tail is never read)
  thread_local std::vector<std::int64_t> position_offsets;
  position_offsets.resize(std::size_t(joined * positions));
  for (std::int64_t i = 0; i < joined; ++i)
    for (std::int64_t m = 0; m < positions; ++m)
      position_offsets[std::size_t(i * positions + m)] = i * x_floats + m / g.W * tiles.S + m % g.W;
  const std::int64_t* offsets = position_offsets.data();

  ATTRAX_OMP(parallel) {
    float* xt = scratch(0, std::size_t(joined * x_floats));
    float* dy_t = scratch(4, std::size_t(kAlpha * K * positions));
    // packed[ξ][panel][(image, m)][j] = DY_image[ξ][panel N + j][m]
    float* packed = scratch(6, std::size_t(kAlpha * panels * joined * positions * N));
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t block = 0; block < blocks; ++block) {
      float* sums = partial + block * kAlpha * tiles_per_xi * tile_floats;
      const std::int64_t block_end = std::min(g.N, (block + 1) * kImageBlock);
      for (std::int64_t first_n = block * kImageBlock; first_n < block_end; first_n += joined) {
        const std::int64_t images = std::min(joined, block_end - first_n);
        for (std::int64_t i = 0; i < images; ++i) {
          const std::int64_t n = first_n + i;
          for (std::int64_t c = 0; c < C; ++c)
            winograd_rows::transform_input(tiles, C, x + (n * C + c) * plane, zeros, c, 0, xt + i * x_floats);
          for (std::int64_t k = 0; k < K; ++k)
            transform_dy(tiles, K, dy + (n * K + k) * plane, zeros, k, dy_t);
          for (std::int64_t xi = 0; xi < kAlpha; ++xi)
            for (std::int64_t panel = 0; panel < panels; ++panel)
              pack_transposed<N>(dy_t + xi * K * positions, positions, nullptr, positions, K, panel,
                                 packed + ((xi * panels + panel) * joined + i) * positions * N);
        }
        const bool accumulate = first_n > block * kImageBlock;
        for (std::int64_t xi = 0; xi < kAlpha; ++xi)
          for (std::int64_t first = 0; first < taps; first += R) {
            // tap row q = (c, s): X[ξ][c] shifted by s
            const float* rows[R];
            for (std::int64_t r = 0; r < R; ++r) {
              const std::int64_t q = std::min(first + r, taps - 1);
              rows[r] = xt + (xi * C + q / 3) * tiles.v_row + q % 3;
            }
            for (std::int64_t panel = 0; panel < panels; ++panel)
              tile_gemm<Shape>(images * positions, rows, TableOffsets{offsets},
                               packed + (xi * panels + panel) * joined * positions * N,
                               sums + ((xi * tap_tiles + first / R) * panels + panel) * tile_floats,
                               accumulate);
          }
      }
    }
    // dw[k][c][r][s] = Σ_ξ G[ξ][r] Σ_blocks partial, the blocks in order
    add_blocks_in_order(partial, blocks, kAlpha * tiles_per_xi * tile_floats);
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t q = 0; q < taps; ++q)
        for (std::int64_t r = 0; r < 3; ++r) {
          float sum = 0.f;
          for (std::int64_t xi = 0; xi < kAlpha; ++xi) {
            const std::int64_t tile = (xi * tap_tiles + q / R) * panels + k / N;
            sum += kG[xi][r] * partial[tile * tile_floats + q % R * N + k % N];
          }
          dw[((k * C + q / 3) * 3 + r) * 3 + q % 3] = sum;
        }
  }
}

}  // namespace

void row_winograd_weight_grad(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  with_tile_shape(g.K, [&](auto shape) { weight_grad_gemms<decltype(shape)>(g, x, dy, dw); });
}

}  // namespace attrax::kernels::fast
