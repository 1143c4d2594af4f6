// Winograd F(4,3) down the columns (see conv_winograd_rows.hpp and, for the matrices,
// conv_winograd_rows_common.hpp). For one kernel column s, output rows 4t .. 4t+3 of a plane are a
// 1-D correlation of the taps g_r = w[r][s] with the six padded input rows d_j = xpad[4t + j]
// shifted by s, which F(4,3) computes as y = Aᵀ [(G g) ⊙ (Bᵀ d)]. Summed over the input channels i
// and the kernel columns s, per image (or group of small images, one after the other: RowTiles):
//   V[ξ][i][π]     = Σ_j Bᵀ[ξ][j] xpad_i[4t + j][c]          π = t S + c, S = W + 2 (padded row)
//   U[ξ][o][i][s]  = Σ_r G[ξ][r] w[o][i][r][s]
//   M[ξ][o][π]     = Σ_{i,s} U[ξ][o][i][s] V[ξ][i][π + s]     six GEMMs, 3 · inputs deep
//   out_o[4t+e][c] = bias[o] + Σ_ξ Aᵀ[e][ξ] M[ξ][o][π]        c < W, 4t + e < H
// The positions π run over all tile rows of the image, one padded row after the other, so the
// vector lanes are full but for each row's two padding columns (and the rows past H when H is not
// a multiple of 4): those lanes are computed and never stored. The output rows go through a
// staging buffer y[o][e][π] (storing them straight from the registers with AVX-512 masked stores
// was slower on Zen 4).
#include "engine/kernels/fast/conv_winograd_rows.hpp"

#include <algorithm>

#include "engine/kernels/fast/conv_common.hpp"
#include "engine/kernels/fast/conv_winograd_rows_common.hpp"
#include "engine/kernels/fast/epilogue_row.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

namespace {

using winograd_rows::kAlpha;
using winograd_rows::kTileRows;
using winograd_rows::RowTiles;

// A block of kOutputs output channels x kVecs vectors of positions: 16 sums with 32 vector
// registers, 8 with 16.
constexpr std::int64_t kOutputs = 4;
constexpr std::int64_t kVecs = XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64 ? 4 : 2;
constexpr std::int64_t kBlockLanes = kVecs * kVec;

// Whether groups of `images` H x W planes leave enough of the lanes to pixels: half the FMAs, less
// the lanes lost to padding, pays at 28x28 (one image: 87.5% of 16 lanes used), 14x14 (77%) and
// 7x7 in groups of eight images (68%), not for one 7x7 image (38%).
bool fills_lanes(std::int64_t H, std::int64_t W, std::int64_t images) {
  constexpr double kMinimumFill = 0.65;
  return RowTiles(H, W, images).fill() >= kMinimumFill;
}

// Images per group: one, or kGroup for planes too small to fill the lanes alone (when the batch
// has at least two groups). It depends on the shape and the batch only, not on the threads.
constexpr std::int64_t kGroup = 8;
std::int64_t group_size(std::int64_t N, std::int64_t H, std::int64_t W) {
  return fills_lanes(H, W, 1) || N < 2 * kGroup ? 1 : kGroup;
}

// The tiles of one group of images and their blocks.
struct Plan : RowTiles {
  std::int64_t groups, position_blocks, output_blocks;

  Plan(std::int64_t N, std::int64_t H, std::int64_t W, std::int64_t outputs)
      : RowTiles(H, W, group_size(N, H, W)),
        groups(ceil_div(N, images)),
        position_blocks(ceil_div(vectors, kVecs)),
        output_blocks(ceil_div(outputs, kOutputs)) {}

  std::int64_t y_floats(std::int64_t outputs) const { return outputs * kTileRows * lanes; }
};

// U[ξ][block][i][s][j] = Σ_r G[ξ][r] w[o][i][r][s] for o = block kOutputs + j (zero past the
// outputs): with p = g0 + g2 and q = g0/24 + g2/6,
//   U = (g0/4, -(p + g1)/6, -(p - g1)/6, q + g1/12, q - g1/12, g2)
// (per call: with 64 channels each way, the general sum over G took a sixth of a batch-32 pass),
// multiplying by the fractions rather than dividing (the divisions were a tenth of a batch-1
// ResNet-8 forward).
constexpr float kSixth = 1.f / 6, kTwelfth = 1.f / 12, kTwentyFourth = 1.f / 24;
void transform_weights(const RowWinograd& d, const Plan& plan, std::int64_t block, float* u) {
  const std::int64_t block_floats = d.inputs * 3 * kOutputs, xi_floats = plan.output_blocks * block_floats;
  for (std::int64_t o = block * kOutputs; o < (block + 1) * kOutputs; ++o) {
    const bool real = o < d.outputs;
    const float factor = real && d.scale ? d.scale[o] : 1.f;
    for (std::int64_t i = 0; i < d.inputs; ++i) {
      // forward: w[o][i][r][s] scale[o]; flipped: w[i][o][2 - r][2 - s]
      const std::int64_t first_tap = real ? (d.flipped ? i * d.outputs + o : o * d.inputs + i) * 9 : 0;
      const float* taps = d.weights + first_tap;
      float* out = u + (o / kOutputs * d.inputs + i) * 3 * kOutputs + o % kOutputs;
      for (std::int64_t s = 0; s < 3; ++s) {
        const float g0 = !real ? 0.f : d.flipped ? taps[8 - s] : taps[s] * factor;
        const float g1 = !real ? 0.f : d.flipped ? taps[5 - s] : taps[3 + s] * factor;
        const float g2 = !real ? 0.f : d.flipped ? taps[2 - s] : taps[6 + s] * factor;
        const float p = g0 + g2, q = g0 * kTwentyFourth + g2 * kSixth;
        float* at = out + s * kOutputs;
        at[0] = g0 * 0.25f;
        at[xi_floats] = -(p + g1) * kSixth;
        at[2 * xi_floats] = -(p - g1) * kSixth;
        at[3 * xi_floats] = q + g1 * kTwelfth;
        at[4 * xi_floats] = q - g1 * kTwelfth;
        at[5 * xi_floats] = g2;
      }
    }
  }
}

// m[o][j] = Σ_{i,s} u[i][s][o] · v[i][j kVec + s ...] for the kOutputs x Vecs block of one ξ (v and
// u point at the block's first position and output; v is aligned): each vector meets kOutputs
// broadcast weights. Never inlined, like tile_gemm, so its loop keeps every sum in a register.
template <std::int64_t Vecs>
[[gnu::noinline]] void multiply_block(std::int64_t inputs, const float* v, std::int64_t v_row, const float* u,
                                      float* m) {
  Vec acc[kOutputs][Vecs];
  for (std::int64_t o = 0; o < kOutputs; ++o)
    for (std::int64_t j = 0; j < Vecs; ++j) acc[o][j] = Vec(0.f);
  const auto accumulate = [&](const Vec* x, const float* w) {
#pragma GCC unroll 4
    for (std::int64_t o = 0; o < kOutputs; ++o) {
      const Vec wo(w[o]);
#pragma GCC unroll 4
      for (std::int64_t j = 0; j < Vecs; ++j) acc[o][j] = xsimd::fma(wo, x[j], acc[o][j]);
    }
  };
  for (std::int64_t i = 0; i < inputs; ++i, v += v_row, u += 3 * kOutputs) {
    Vec x[Vecs + 1], shifted[Vecs];
#pragma GCC unroll 5
    for (std::int64_t j = 0; j <= Vecs; ++j) x[j] = Vec::load_aligned(v + j * kVec);
    accumulate(x, u);
#pragma GCC unroll 4
    for (std::int64_t j = 0; j < Vecs; ++j) shifted[j] = lanes_on<1>(v + j * kVec, x[j], x[j + 1]);
    accumulate(shifted, u + kOutputs);
#pragma GCC unroll 4
    for (std::int64_t j = 0; j < Vecs; ++j) shifted[j] = lanes_on<2>(v + j * kVec, x[j], x[j + 1]);
    accumulate(shifted, u + 2 * kOutputs);
  }
  for (std::int64_t o = 0; o < kOutputs; ++o)
    for (std::int64_t j = 0; j < Vecs; ++j) acc[o][j].store_aligned(m + o * kBlockLanes + j * kVec);
}

// The six GEMMs' blocks for outputs [block kOutputs, + kOutputs) and the position vectors of
// `position_block`, then their output rows
//   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// plus the bias, into y[o][e][π] (whole vectors, padding lanes included).
void compute_block(const RowWinograd& d, const Plan& plan, const float* v, const float* u, std::int64_t block,
                   std::int64_t position_block, float* y) {
  // the blocks share the vectors evenly (9 vectors: 3 + 3 + 3, not 4 + 4 + 1)
  const std::int64_t begin = position_block * plan.vectors / plan.position_blocks;
  const std::int64_t count = (position_block + 1) * plan.vectors / plan.position_blocks - begin;
  const std::int64_t first = begin * kVec;
  const std::int64_t u_floats = d.inputs * 3 * kOutputs;
  float* m = scratch(7, std::size_t(kAlpha * kOutputs * kBlockLanes));
  for (std::int64_t xi = 0; xi < kAlpha; ++xi) {
    const float* vx = v + xi * d.inputs * plan.v_row + first;
    const float* ux = u + (xi * plan.output_blocks + block) * u_floats;
    float* mx = m + xi * kOutputs * kBlockLanes;
    switch (count) {
      case 1: multiply_block<1>(d.inputs, vx, plan.v_row, ux, mx); break;
      case 2: multiply_block<2>(d.inputs, vx, plan.v_row, ux, mx); break;
      case 3: if constexpr (kVecs >= 3) multiply_block<3>(d.inputs, vx, plan.v_row, ux, mx); break;
      default: multiply_block<kVecs>(d.inputs, vx, plan.v_row, ux, mx); break;
    }
  }
  for (std::int64_t j = 0; j < kOutputs && block * kOutputs + j < d.outputs; ++j) {
    const std::int64_t o = block * kOutputs + j;
    const Vec bias(d.bias ? d.bias[o] : 0.f);
    float* row = y + o * kTileRows * plan.lanes + first;
    for (std::int64_t k = 0; k < count; ++k) {
      Vec mx[kAlpha];
      for (std::int64_t xi = 0; xi < kAlpha; ++xi)
        mx[xi] = Vec::load_aligned(m + (xi * kOutputs + j) * kBlockLanes + k * kVec);
      const Vec sum12 = mx[1] + mx[2], diff12 = mx[1] - mx[2], sum34 = mx[3] + mx[4], diff34 = mx[3] - mx[4];
      float* at = row + k * kVec;
      (mx[0] + sum12 + sum34 + bias).store_aligned(at);
      (xsimd::fma(Vec(2.f), diff34, diff12) + bias).store_aligned(at + plan.lanes);
      (xsimd::fma(Vec(4.f), sum34, sum12) + bias).store_aligned(at + 2 * plan.lanes);
      (xsimd::fma(Vec(8.f), diff34, diff12) + mx[5] + bias).store_aligned(at + 3 * plan.lanes);
    }
  }
}

// out_o[4t + e][c] = y[o][e][image span + t S + c] for c < W and 4t + e < H, with the epilogue, for
// image n, which is image `image` of its group.
void store_output(const RowWinograd& d, const Plan& plan, const float* y, std::int64_t o, std::int64_t n,
                  std::int64_t image, float* out) {
  for (std::int64_t t = 0; t < plan.tile_rows; ++t)
    for (std::int64_t e = 0; e < kTileRows && kTileRows * t + e < d.H; ++e) {
      const std::int64_t row = ((n * d.outputs + o) * d.H + kTileRows * t + e) * d.W;
      const float* staged = y + (o * kTileRows + e) * plan.lanes + image * plan.span + t * plan.S;
      if (d.epilogue.empty()) copy_row(staged, d.W, out + row);
      else epilogue_row(d.epilogue, staged, d.W, out, row);
    }
}

// The images of a group from start to end on the calling thread, in its own buffers.
void whole_group(const RowWinograd& d, const Plan& plan, const float* u, const float* zeros,
                 std::int64_t group, const float* in, float* out) {
  float* v = scratch(0, std::size_t(plan.v_floats(d.inputs)));
  float* y = scratch(6, std::size_t(plan.y_floats(d.outputs)));
  const std::int64_t plane = d.H * d.W, first = group * plan.images;
  const std::int64_t images = std::min(plan.images, d.N - first);
  for (std::int64_t j = 0; j < images; ++j)
    for (std::int64_t i = 0; i < d.inputs; ++i)
      winograd_rows::transform_input(plan, d.inputs, in + ((first + j) * d.inputs + i) * plane, zeros, i, j,
                                     v);
  winograd_rows::clear_tail(plan, d.inputs, images, v);
  // The next group's input is fetched into L2 while this group's blocks run, a share before each
  // (as for_each_image_item does for the other convolutions).
  const std::int64_t next_first = first + plan.images;
  const std::int64_t next_floats = std::max<std::int64_t>(0, std::min(plan.images, d.N - next_first)) * d.inputs * plane;
  const std::int64_t blocks = plan.position_blocks * plan.output_blocks;
  for (std::int64_t p = 0; p < plan.position_blocks; ++p)
    for (std::int64_t b = 0; b < plan.output_blocks; ++b) {
      if (next_floats > 0)
        prefetch_share(in + next_first * d.inputs * plane, next_floats, p * plan.output_blocks + b, blocks);
      compute_block(d, plan, v, u, b, p, y);
    }
  for (std::int64_t j = 0; j < images; ++j)
    for (std::int64_t o = 0; o < d.outputs; ++o) store_output(d, plan, y, o, first + j, j, out);
}

}  // namespace

bool row_winograd_applies(const ConvGeometry& g) {
  return g.groups == 1 && g.R == 3 && g.S == 3 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 1 &&
         g.pad_w == 1 && g.dil_h == 1 && g.dil_w == 1 && g.C >= 8 && g.K >= 8 &&
         fills_lanes(g.H, g.W, group_size(g.N, g.H, g.W));
}

bool row_winograd_weight_grad_applies(const ConvGeometry& g) {
  // The weight gradient's depth holds no padding columns, but at 7x7 its transforms of 64 channels
  // cost more than the FMAs saved (90 -> 61 GFLOP/s, 1 thread, batch 32): one image must fill the
  // lanes.
  return row_winograd_applies(g) && fills_lanes(g.H, g.W, 1);
}

void row_winograd_3x3(const RowWinograd& d, const float* in, float* out) {
  const Plan plan(d.N, d.H, d.W, d.outputs);
  float* u = scratch(1, std::size_t(kAlpha * plan.output_blocks * d.inputs * 3 * kOutputs));
  float* zeros = scratch(5, std::size_t(d.W));
  std::fill_n(zeros, d.W, 0.f);
  const std::int64_t plane = d.H * d.W, items = plan.position_blocks * plan.output_blocks;
  const double flops = 2.0 * double(d.outputs * plane * 9 * d.inputs);
  const std::int64_t threads = worth_threads(double(d.N) * flops, d.N) ? max_threads() : 1;
  if (threads == 1) {
    for (std::int64_t block = 0; block < plan.output_blocks; ++block) transform_weights(d, plan, block, u);
    for (std::int64_t group = 0; group < plan.groups; ++group) whole_group(d, plan, u, zeros, group, in, out);
    return;
  }
  // The weights are transformed in the region too (on one thread before it, they took a tenth of a
  // 64-channel 7x7 pass while the other thread waited).
  if (plan.groups % threads == 0 || plan.groups >= 8 * threads) {
    ATTRAX_OMP(parallel) {
      ATTRAX_OMP(for schedule(static))
      for (std::int64_t block = 0; block < plan.output_blocks; ++block) transform_weights(d, plan, block, u);
      ATTRAX_OMP(for schedule(static))
      for (std::int64_t group = 0; group < plan.groups; ++group)
        whole_group(d, plan, u, zeros, group, in, out);
    }
    return;
  }
  // Fewer groups than threads (batch 1): the threads share every stage of every group.
  const std::int64_t v_floats = plan.v_floats(d.inputs), y_floats = plan.y_floats(d.outputs);
  float* v = scratch(0, std::size_t(plan.groups * v_floats));
  float* y = scratch(6, std::size_t(plan.groups * y_floats));
  ATTRAX_OMP(parallel) {
    ATTRAX_OMP(for schedule(static) nowait)
    for (std::int64_t block = 0; block < plan.output_blocks; ++block) transform_weights(d, plan, block, u);
    // image n is image n mod G of group n / G
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t k = 0; k < d.N * d.inputs; ++k) {
      const std::int64_t n = k / d.inputs;
      winograd_rows::transform_input(plan, d.inputs, in + k * plane, zeros, k % d.inputs, n % plan.images,
                                     v + n / plan.images * v_floats);
    }
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t group = 0; group < plan.groups; ++group)
      winograd_rows::clear_tail(plan, d.inputs, std::min(plan.images, d.N - group * plan.images),
                                v + group * v_floats);
    const Range mine = thread_range(plan.groups * items);
    for (std::int64_t k = mine.begin; k < mine.end; ++k) {
      const std::int64_t group = k / items, item = k % items;
      compute_block(d, plan, v + group * v_floats, u, item % plan.output_blocks, item / plan.output_blocks,
                    y + group * y_floats);
    }
    ATTRAX_OMP(barrier)
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t k = 0; k < d.N * d.outputs; ++k) {
      const std::int64_t n = k / d.outputs;
      store_output(d, plan, y + n / plan.images * y_floats, k % d.outputs, n, n % plan.images, out);
    }
  }
}

}  // namespace attrax::kernels::fast
