// conv2d's weight gradient as an implicit GEMM with the kernel taps as rows:
//   dw[k][(c,r,s)] = Σ_n Σ_m xpad_n[tap(c,r,s) + base(m)] · dy_n[k][m]
// with m = (p,q), base(m) = p sh Wp + q sw and tap = c Hp Wp + r dh Wp + s dw. Images are summed in
// fixed blocks of kImageBlock (each block by one thread, each image padded and transposed once, while
// in cache), then the blocks are added in order: the grouping does not depend on the thread count,
// so neither do the results. Small outputs (7x7: 49 positions) would give each tile a short sum and
// make it load and store its accumulators often, so a few images of a block run as one GEMM whose
// depth is their positions one after the other:
//   m = (image, p, q),  base(m) = image · (floats per image) + p sh Wp + q sw
#include <algorithm>

#include "engine/kernels/fast/conv.hpp"
#include "engine/kernels/fast/conv_common.hpp"
#include "engine/kernels/fast/conv_winograd_rows.hpp"

namespace attrax::kernels::fast {

namespace {

// The weight gradient with micro-tiles of Shape: rows are taps, columns output channels.
template <class Shape>
void weight_grad_gemms(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  constexpr std::int64_t R = Shape::rows, N = Shape::columns;
  const std::int64_t Hp = g.H + 2 * g.pad_h, Wp = g.W + 2 * g.pad_w, plane = Hp * Wp;
  const std::int64_t Cg = g.C / g.groups, Kg = g.K / g.groups, depth = Cg * g.R * g.S;
  const std::int64_t PQ = g.P * g.Q, panels = ceil_div(Kg, N), tap_tiles = ceil_div(depth, R);
  const std::int64_t tiles = g.groups * tap_tiles * panels, tile_floats = R * N;
  const std::int64_t blocks = ceil_div(g.N, kImageBlock);

  const std::int64_t* tap_table = kernel_taps(g, Wp, plane);
  // partial[block][tile][i][j]: one block's sums, laid out as micro-tiles
  float* partial = scratch(3, std::size_t(blocks * tiles * tile_floats));
  // The GEMM reads only inside the padded image, so without padding it reads x in place.
  const bool unpadded = g.pad_h == 0 && g.pad_w == 0;
  const std::int64_t joined = images_per_gemm(PQ), image_floats = unpadded ? g.C * g.H * g.W : g.C * plane;
  const std::int64_t* base_table = position_bases(g, Wp, joined, image_floats);

  ATTRAX_OMP(parallel) {
    float* xpad = scratch(0, std::size_t(joined * image_floats + kSlack));
    // dyt[group][panel][(image, m)][j] = dy_n[group Kg + panel N + j][m], n = first + image
    float* dyt = scratch(1, std::size_t(g.groups * panels * joined * PQ * N));
    // Each thread takes a contiguous run of blocks, the images its forward and input gradient
    // computed (see for_each_image_item); each block's sums are the same whichever thread computes
    // them.
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t block = 0; block < blocks; ++block) {
      float* sums = partial + block * tiles * tile_floats;
      const std::int64_t block_end = std::min(g.N, (block + 1) * kImageBlock);
      for (std::int64_t first_n = block * kImageBlock; first_n < block_end; first_n += joined) {
        const std::int64_t images = std::min(joined, block_end - first_n), depth_m = images * PQ;
        for (std::int64_t i = 0; i < images; ++i) {
          const std::int64_t n = first_n + i;
          if (!unpadded)
            pad_planes(x + n * g.C * g.H * g.W, g.C, g.H, g.W, g.pad_h, g.pad_h, g.pad_w, g.pad_w,
                       xpad + i * image_floats);
          for (std::int64_t gp = 0; gp < g.groups * panels; ++gp) {
            const float* dyg = dy + (n * g.K + gp / panels * Kg) * PQ;
            pack_transposed<N>(dyg, PQ, nullptr, PQ, Kg, gp % panels, dyt + (gp * joined + i) * PQ * N);
          }
        }
        const float* source = unpadded ? x + first_n * image_floats : xpad;
        // tile t = (group, tap tile, panel), walked in nested loops (no divisions per tile)
        std::int64_t t = 0;
        for (std::int64_t group = 0; group < g.groups; ++group)
          for (std::int64_t first = 0; first < depth; first += R) {
            const float* rows[R];
            for (std::int64_t i = 0; i < R; ++i)
              rows[i] = source + group * Cg * plane + tap_table[std::min(first + i, depth - 1)];
            for (std::int64_t panel = 0; panel < panels; ++panel, ++t)
              tile_gemm<Shape>(depth_m, rows, TableOffsets{base_table},
                               dyt + (group * panels + panel) * joined * PQ * N, sums + t * tile_floats,
                               first_n > block * kImageBlock);
          }
      }
    }
    // dw = Σ_blocks partial, in block order
    add_blocks_in_order(partial, blocks, tiles * tile_floats);
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t t = 0; t < tiles; ++t) {
      const std::int64_t panel = t % panels, tap_tile = t / panels % tap_tiles, group = t / (panels * tap_tiles);
      const std::int64_t first = tap_tile * R, rows = std::min(R, depth - first);
      const std::int64_t k0 = group * Kg + panel * N, columns = std::min(N, Kg - panel * N);
      for (std::int64_t j = 0; j < columns; ++j)
        for (std::int64_t i = 0; i < rows; ++i)
          dw[(k0 + j) * depth + first + i] = partial[t * tile_floats + i * N + j];
    }
  }
}

}  // namespace

void conv2d_weight_grad(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  if (row_winograd_weight_grad_applies(g)) return row_winograd_weight_grad(g, x, dy, dw);
  with_tile_shape(g.K / g.groups, [&](auto shape) { weight_grad_gemms<decltype(shape)>(g, x, dy, dw); });
}

}  // namespace attrax::kernels::fast
