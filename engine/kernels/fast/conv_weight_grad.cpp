// conv2d's weight gradient as an implicit GEMM with the kernel taps as rows:
//   dw[k][(c,r,s)] = Σ_n Σ_m xpad_n[tap(c,r,s) + base(m)] · dy_n[k][m]
// with m = (p,q), base(m) = p sh Wp + q sw and tap = c Hp Wp + r dh Wp + s dw. Images are summed in
// fixed blocks of kImageBlock (each block by one thread, each image padded and transposed once, while
// in cache), then the blocks are added in order: the grouping does not depend on the thread count,
// so neither do the results.
#include <algorithm>
#include <vector>

#include "engine/kernels/fast/conv.hpp"
#include "engine/kernels/fast/conv_common.hpp"

namespace attrax::kernels::fast {

namespace {
constexpr std::int64_t kImageBlock = 8;
}

void conv2d_weight_grad(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const std::int64_t Hp = g.H + 2 * g.pad_h, Wp = g.W + 2 * g.pad_w, plane = Hp * Wp;
  const std::int64_t Cg = g.C / g.groups, Kg = g.K / g.groups, depth = Cg * g.R * g.S;
  const std::int64_t PQ = g.P * g.Q, panels = ceil_div(Kg, kTileN), tap_tiles = ceil_div(depth, kTileM);
  const std::int64_t tiles = g.groups * tap_tiles * panels, tile_floats = kTileM * kTileN;
  const std::int64_t blocks = ceil_div(g.N, kImageBlock);

  const std::int64_t* tap_table = kernel_taps(g, Wp, plane);
  const std::int64_t* base_table = position_bases(g, Wp);
  // partial[block][tile][i][j]: one block's sums, laid out as micro-tiles
  float* partial = scratch(3, std::size_t(blocks * tiles * tile_floats));
  // The GEMM reads only inside the padded image, so without padding it reads x in place.
  const bool unpadded = g.pad_h == 0 && g.pad_w == 0;

  ATTRAX_OMP(parallel) {
    float* xpad = scratch(0, std::size_t(g.C * plane + kSlack));
    // dyt[group][panel][m][j] = dy_n[group Kg + panel kTileN + j][m]
    float* dyt = scratch(1, std::size_t(g.groups * panels * PQ * kTileN));
    // Blocks go to whichever thread is free (see for_each_image_item); each block's sums are the same
    // whichever thread computes them.
    ATTRAX_OMP(for schedule(dynamic, 1))
    for (std::int64_t block = 0; block < blocks; ++block) {
      float* sums = partial + block * tiles * tile_floats;
      for (std::int64_t n = block * kImageBlock; n < std::min(g.N, (block + 1) * kImageBlock); ++n) {
        const float* image_n = x + n * g.C * g.H * g.W;
        if (!unpadded) pad_planes(image_n, g.C, g.H, g.W, g.pad_h, g.pad_h, g.pad_w, g.pad_w, xpad);
        const float* source = unpadded ? image_n : xpad;
        for (std::int64_t gp = 0; gp < g.groups * panels; ++gp) {
          const float* dyg = dy + (n * g.K + gp / panels * Kg) * PQ;
          pack_panel(PQ, Kg, gp % panels, [&](std::int64_t m, std::int64_t j) { return dyg[j * PQ + m]; },
                     dyt + gp * PQ * kTileN);
        }
        // tile t = (group, tap tile, panel), walked in nested loops (no divisions per tile)
        std::int64_t t = 0;
        for (std::int64_t group = 0; group < g.groups; ++group)
          for (std::int64_t first = 0; first < depth; first += kTileM) {
            const float* rows[kTileM];
            for (std::int64_t i = 0; i < kTileM; ++i)
              rows[i] = source + group * Cg * plane + tap_table[std::min(first + i, depth - 1)];
            for (std::int64_t panel = 0; panel < panels; ++panel, ++t)
              tile_gemm(PQ, rows, TableOffsets{base_table}, dyt + (group * panels + panel) * PQ * kTileN,
                        sums + t * tile_floats, n > block * kImageBlock);
          }
      }
    }
    // dw = Σ_blocks partial, in block order
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t t = 0; t < tiles; ++t) {
      const std::int64_t panel = t % panels, tap_tile = t / panels % tap_tiles, group = t / (panels * tap_tiles);
      const std::int64_t first = tap_tile * kTileM, rows = std::min(kTileM, depth - first);
      const std::int64_t k0 = group * Kg + panel * kTileN, columns = std::min(kTileN, Kg - panel * kTileN);
      for (std::int64_t j = 0; j < columns; ++j)
        for (std::int64_t i = 0; i < rows; ++i) {
          float total = 0.f;
          for (std::int64_t block = 0; block < blocks; ++block)
            total += partial[(block * tiles + t) * tile_floats + i * kTileN + j];
          dw[(k0 + j) * depth + first + i] = total;
        }
    }
  }
}

}  // namespace attrax::kernels::fast
