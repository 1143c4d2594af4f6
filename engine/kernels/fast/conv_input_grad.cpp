// conv2d's input gradient (conv_transpose2d) as implicit GEMMs, one per stride phase:
//   dx[c][h][w] = Σ_{k,r,s : h + ph - r dh = p sh, w + pw - s dw = q sw} dy[k][p][q] · w[k][c][r][s]
// Positions h with (h + ph) mod sh = φ meet exactly the taps r with r dh mod sh = φ, at
// p = (h + ph - φ)/sh - (r dh - φ)/sh, so each phase is a stride-1 gather from a zero-padded dy:
//   dx[c][m] = Σ_{(k,r,s) of the phase} dypad[base(m) + tap(k,r,s)] · w[k][c][r][s]
#include <algorithm>
#include <vector>

#include "engine/kernels/fast/conv.hpp"
#include "engine/kernels/fast/conv_common.hpp"
#include "engine/kernels/fast/conv_direct.hpp"
#include "engine/kernels/fast/conv_direct_3x3.hpp"
#include "engine/kernels/fast/conv_input_grad_s2.hpp"
#include "engine/kernels/fast/conv_pointwise.hpp"
#include "engine/kernels/fast/conv_winograd_rows.hpp"

namespace attrax::kernels::fast {

namespace {

struct Phase {
  std::int64_t first_tap, taps;            // its (k,r,s) in the tap table and packed weights
  std::int64_t first_position, positions;  // its (h,w) in the position tables
};

struct Tile {
  std::int64_t phase, first, count;  // positions first..first+count-1 of the phase
};

// Taps r of one axis in phase φ: r dh ≡ φ (mod stride), each with its row shift (r dh - φ)/stride.
std::vector<std::pair<std::int64_t, std::int64_t>> phase_taps(std::int64_t kernel, std::int64_t dil,
                                                              std::int64_t stride, std::int64_t phi) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::int64_t r = 0; r < kernel; ++r)
    if (r * dil % stride == phi) out.emplace_back(r, (r * dil - phi) / stride);
  return out;
}

// dy padded for the phases: rows top.. and columns left.. of a Pp x Qp plane hold dy's P x Q.
struct PaddedDy {
  std::int64_t top, left, Pp, Qp;
};

// The first h with (h + pad) mod stride = φ: dx positions of phase φ along one axis are first,
// first + stride, ... below H.
std::int64_t phase_first(std::int64_t pad, std::int64_t stride, std::int64_t phi) {
  return (phi - pad % stride + stride) % stride;
}
std::int64_t phase_extent(std::int64_t H, std::int64_t pad, std::int64_t stride, std::int64_t phi) {
  const std::int64_t first = phase_first(pad, stride, phi);
  return first < H ? (H - 1 - first) / stride + 1 : 0;
}

// Rows a phase GEMM computes with tiles of `rows` positions, each tile within one phase.
std::int64_t computed_rows(const ConvGeometry& g, std::int64_t rows) {
  std::int64_t total = 0;
  for (std::int64_t phi_h = 0; phi_h < g.stride_h; ++phi_h)
    for (std::int64_t phi_w = 0; phi_w < g.stride_w; ++phi_w)
      total += rows_in_tiles(phase_extent(g.H, g.pad_h, g.stride_h, phi_h) *
                                 phase_extent(g.W, g.pad_w, g.stride_w, phi_w),
                             rows);
  return total;
}

// out[index[k RS + rs] Width + j] = w[k][first + j][rs] for first = panel Width, zero past Cg: the
// panel rows of the taps (k, rs) wherever the phases put them. Each k's [Cg][RS] block is read in
// blocks of kVec channels x kVec taps and transposed in registers (packed element by element
// through a table, the weights took a third of a batch-1 7x7 64-channel input gradient).
template <std::int64_t Width>
void pack_by_taps(const float* w, std::int64_t Kg, std::int64_t Cg, std::int64_t RS, const std::int64_t* index,
                  std::int64_t panel, float* out) {
  const std::int64_t first = panel * Width;
  for (std::int64_t k = 0; k < Kg; ++k)
    for (std::int64_t j0 = 0; j0 < Width; j0 += kVec)
      for (std::int64_t rs0 = 0; rs0 < RS; rs0 += kVec) {
        const std::int64_t taps = std::min(kVec, RS - rs0);
        Vec rows[kVec];
        for (std::int64_t i = 0; i < kVec; ++i) {
          const std::int64_t c = first + j0 + i;
          rows[i] = c < Cg ? load_first(w + (k * Cg + c) * RS + rs0, taps) : Vec(0.f);
        }
        transpose_block(rows);
        for (std::int64_t t = 0; t < taps; ++t) rows[t].store_aligned(out + index[k * RS + rs0 + t] * Width + j0);
      }
}

// The input gradient as one implicit GEMM per stride phase, with micro-tiles of Shape: rows are
// positions of a phase, columns input channels.
template <class Shape>
void phase_gemms(const ConvGeometry& g, const float* w, float* dx, const PaddedDy& pad, const PaddedImages& source) {
  constexpr std::int64_t R = Shape::rows, N = Shape::columns;
  const std::int64_t Cg = g.C / g.groups, Kg = g.K / g.groups, RS = g.R * g.S;
  const std::int64_t top = pad.top, left = pad.left, Qp = pad.Qp, plane = pad.Pp * pad.Qp;
  const std::int64_t panels = ceil_div(Cg, N);
  thread_local std::vector<std::int64_t> tap_offsets, tap_index, bases, outputs;
  thread_local std::vector<Phase> phases;
  thread_local std::vector<Tile> tiles;
  tap_offsets.clear(); bases.clear(); outputs.clear(); phases.clear(); tiles.clear();
  tap_index.assign(std::size_t(Kg * RS), 0);
  for (std::int64_t phi_h = 0; phi_h < g.stride_h; ++phi_h) {
    for (std::int64_t phi_w = 0; phi_w < g.stride_w; ++phi_w) {
      Phase phase{std::int64_t(tap_offsets.size()), 0, std::int64_t(bases.size()), 0};
      const auto rows = phase_taps(g.R, g.dil_h, g.stride_h, phi_h);
      const auto cols = phase_taps(g.S, g.dil_w, g.stride_w, phi_w);
      for (std::int64_t k = 0; k < Kg; ++k)
        for (const auto& [r, shift_r] : rows)
          for (const auto& [s, shift_s] : cols) {
            tap_index[std::size_t((k * g.R + r) * g.S + s)] = std::int64_t(tap_offsets.size());
            tap_offsets.push_back(k * plane - shift_r * Qp - shift_s);
          }
      for (std::int64_t h = phase_first(g.pad_h, g.stride_h, phi_h); h < g.H; h += g.stride_h)
        for (std::int64_t x = phase_first(g.pad_w, g.stride_w, phi_w); x < g.W; x += g.stride_w) {
          const std::int64_t t = (h + g.pad_h - phi_h) / g.stride_h, u = (x + g.pad_w - phi_w) / g.stride_w;
          bases.push_back((t + top) * Qp + u + left);
          outputs.push_back(h * g.W + x);
        }
      phase.taps = std::int64_t(tap_offsets.size()) - phase.first_tap;
      phase.positions = std::int64_t(bases.size()) - phase.first_position;
      for (std::int64_t first = 0; first < phase.positions; first += R)
        tiles.push_back({std::int64_t(phases.size()), first, std::min(R, phase.positions - first)});
      phases.push_back(phase);
    }
  }

  // The tables are this thread's; the parallel region reads them through these pointers.
  const std::int64_t* tap_table = tap_offsets.data();
  const std::int64_t* index_of_tap = tap_index.data();
  const std::int64_t* base_table = bases.data();
  const std::int64_t* output_table = outputs.data();
  const Phase* phase_list = phases.data();
  const Tile* tile_list = tiles.data();
  const std::int64_t all_taps = std::int64_t(tap_offsets.size()), n_tiles = std::int64_t(tiles.size());
  float* packed = scratch(1, std::size_t(g.groups * panels * all_taps * N));

  // packed[group][panel][tap][j] = w[group Kg + k(tap)][panel N + j][r(tap)][s(tap)]
  const auto pack_weights = [&] {
    ATTRAX_OMP(for schedule(static) nowait)
    for (std::int64_t gp = 0; gp < g.groups * panels; ++gp) {
      const float* wg = w + (gp / panels) * Kg * Cg * RS;
      pack_by_taps<N>(wg, Kg, Cg, RS, index_of_tap, gp % panels, packed + gp * all_taps * N);
    }
  };
  // item = (group, panel, chunk of about 24 positions: kChunk tiles of up to R of one phase each)
  constexpr std::int64_t kChunk = 24 / R;
  const std::int64_t chunks = ceil_div(n_tiles, kChunk);
  const auto compute_chunk = [&](std::int64_t n, const float* image, std::int64_t item) {
    const std::int64_t chunk = item % chunks, panel = item / chunks % panels, group = item / (chunks * panels);
    const float* group_image = image + group * Kg * plane;
    const float* panel_weights = packed + (group * panels + panel) * all_taps * N;
    const std::int64_t c0 = group * Cg + panel * N, columns = std::min(N, Cg - panel * N);
    float* dx_panel = dx + (n * g.C + c0) * g.H * g.W;
    for (std::int64_t i_tile = chunk * kChunk; i_tile < std::min(n_tiles, (chunk + 1) * kChunk); ++i_tile) {
      const Tile& t = tile_list[i_tile];
      const Phase& phase = phase_list[t.phase];
      const std::int64_t* base = base_table + phase.first_position + t.first;
      const float* rows[R];
      for (std::int64_t i = 0; i < R; ++i) rows[i] = group_image + base[std::min(i, t.count - 1)];
      alignas(64) float tile[R * N];
      tile_gemm<Shape>(phase.taps, rows, TableOffsets{tap_table + phase.first_tap},
                       panel_weights + phase.first_tap * N, tile, false);
      const std::int64_t* out = output_table + phase.first_position + t.first;
      if (t.count == R && spaced(out, R, 1))
        store_transposed<Shape>(tile, R, columns, kConsecutive, g.H * g.W, dx_panel + out[0]);
      else if (t.count == R && spaced(out, R, 2))
        store_transposed<Shape>(tile, R, columns, kEveryOther, g.H * g.W, dx_panel + out[0]);
      else
        store_transposed<Shape>(tile, t.count, columns, out, g.H * g.W, dx_panel);
    }
  };
  const double flops = 2.0 * double(g.K * g.P * g.Q * Cg * RS);
  for_each_image_item(g.N, g.groups * panels * chunks, flops, source, pack_weights, compute_chunk);
}

}  // namespace

void conv2d_input_grad(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  if (pointwise_applies(g)) return pointwise_input_grad(g, dy, w, dx);
  if (input_grad_s2_applies(g)) return input_grad_s2(g, dy, w, dx);
  // dx = conv2d(dy, w flipped and transposed), the same Winograd convolution from K to C channels
  if (row_winograd_applies(g))
    return row_winograd_3x3({.N = g.N, .inputs = g.K, .outputs = g.C, .H = g.H, .W = g.W, .weights = w,
                             .flipped = true}, dy, dx);
  const std::int64_t Cg = g.C / g.groups, Kg = g.K / g.groups, RS = g.R * g.S;
  // dy is padded so that every p, q a phase reads (possibly outside [0,P) x [0,Q)) reads a zero.
  const std::int64_t top = std::max<std::int64_t>(0, ceil_div((g.R - 1) * g.dil_h - g.pad_h, g.stride_h));
  const std::int64_t left = std::max<std::int64_t>(0, ceil_div((g.S - 1) * g.dil_w - g.pad_w, g.stride_w));
  const std::int64_t bottom = std::max<std::int64_t>(0, (g.H - 1 + g.pad_h) / g.stride_h - (g.P - 1));
  const std::int64_t right = std::max<std::int64_t>(0, (g.W - 1 + g.pad_w) / g.stride_w - (g.Q - 1));
  const std::int64_t Pp = g.P + top + bottom, Qp = g.Q + left + right, plane = Pp * Qp;
  const PaddedImages source{dy, g.K, g.P, g.Q, top, bottom, left, right};

  // Few input channels (the image stem, depthwise) at stride 1: the direct kernel over dy with the
  // kernel flipped, dx[c][h][w] = Σ_{k,r,s} dypad[k][h + (R-1-r) dh][w + (S-1-s) dw] w[k][c][r][s];
  // 3x3 with padding 1 over 4 or more dy planes reads dy in place (conv_direct_3x3.hpp), and one
  // vector of input channels pads dy and computes four dx planes per tile:
  //   dx[c][h][w] = Σ_{k,r,s} wf[c][k][r][s] dy[k][h + r - 1][w + s - 1],
  //   wf[c][k][r][s] = w[group(c) Kg + k][c mod Cg][2 - r][2 - s]
  const bool in_place = Cg < kVec && Kg >= 4 && direct_3x3_applies(g);
  if (in_place || direct_3x3_beats_gemm(g, Cg)) {
    float* flipped = scratch(1, std::size_t(g.C * Kg * 9));
    for (std::int64_t c = 0; c < g.C; ++c)
      for (std::int64_t k = 0; k < Kg; ++k)
        for (std::int64_t t = 0; t < 9; ++t)
          flipped[(c * Kg + k) * 9 + t] = w[((c / Cg * Kg + k) * Cg + c % Cg) * 9 + 8 - t];
    const Direct3x3 direct{g.N, g.K, g.C, g.H, g.W, g.groups, flipped};
    return in_place ? direct_3x3_in_place(direct, dy, dx) : direct_3x3_padded(direct, dy, dx);
  }
  if (g.stride_h == 1 && g.stride_w == 1 && Cg < kVec && top == (g.R - 1) * g.dil_h - g.pad_h &&
      left == (g.S - 1) * g.dil_w - g.pad_w) {
    const std::int64_t depth = Kg * RS;
    thread_local std::vector<std::int64_t> tap_offsets;
    tap_offsets.resize(std::size_t(depth));
    for (std::int64_t k = 0; k < Kg; ++k)
      for (std::int64_t r = 0; r < g.R; ++r)
        for (std::int64_t s = 0; s < g.S; ++s)
          tap_offsets[std::size_t((k * g.R + r) * g.S + s)] =
              k * plane + (g.R - 1 - r) * g.dil_h * Qp + (g.S - 1 - s) * g.dil_w;
    // flipped[c][(k,r,s)] = w[group(c) Kg + k][c mod Cg][r][s]
    float* flipped = scratch(1, std::size_t(g.C * depth));
    for (std::int64_t c = 0; c < g.C; ++c)
      for (std::int64_t i = 0; i < depth; ++i)
        flipped[c * depth + i] = w[((c / Cg * Kg + i / RS) * Cg + c % Cg) * RS + i % RS];
    const DirectConv direct{g.N, g.C, g.H, g.W, g.groups, Kg * plane, Qp, depth, tap_offsets.data(), flipped};
    return direct_conv(direct, source, dx);
  }

  // A 7x7 phase (ResNet's 14 -> 7 layers) is seven tiles of seven, each one phase row, stored with
  // the compile-time pattern kEveryOther.
  if (seven_row_tiles_pay(Cg, [&](std::int64_t rows) { return computed_rows(g, rows); }))
    return phase_gemms<SevenRowTile>(g, w, dx, {top, left, Pp, Qp}, source);
  with_tile_shape(Cg, [&](auto shape) {
    phase_gemms<decltype(shape)>(g, w, dx, {top, left, Pp, Qp}, source);
  });
}

}  // namespace attrax::kernels::fast
