#pragma once
// The register-blocked micro-kernel behind every fast convolution: one Rows x Columns tile of
//   C[i][j] = Σ_k A(i, k) · panel[k][j],   A(i, k) = rows[i][offsets(k)]
// where A is read in place (an implicit GEMM: rows point into a padded image, offsets walk the kernel
// taps or the positions) and the panel is packed, Columns contiguous floats per k. The tile's
// Rows x Vecs SIMD accumulators stay in registers: 12 of the 16 on AVX2 (8 floats each) and NEON
// (4 floats each), 12 of the 32 on AVX-512 (16 floats each).
#include <xsimd/xsimd.hpp>

#include <cstdint>

namespace attrax::kernels::fast {

using Vec = xsimd::batch<float>;
constexpr std::int64_t kVec = std::int64_t(Vec::size);

// A micro-tile of Rows rows (positions or taps) x Vecs vectors of columns (channels).
template <std::int64_t Rows, std::int64_t Vecs>
struct TileShape {
  static constexpr std::int64_t rows = Rows, vecs = Vecs, columns = Vecs * kVec;
};
// Two vectors of columns, for layers with more than one vector of channels.
using WideTile = TileShape<6, 2>;
// One vector of columns and twice the rows, the same 12 accumulators, for layers with at most one
// vector of channels (16 on AVX-512), where a wide tile would spend half its FMAs on zero columns.
using NarrowTile = TileShape<12, 1>;
constexpr std::int64_t kMaxTileRows = 12;

// Seven rows x two vectors (14 sums), for 32-register ISAs where it wastes fewer rows than WideTile:
// 7x7 planes (ResNet's last stage) are seven whole tiles instead of 54 rows for 49.
using SevenRowTile = TileShape<7, 2>;
constexpr bool kSevenRowTiles = XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64;
inline std::int64_t rows_in_tiles(std::int64_t positions, std::int64_t rows) {
  return (positions + rows - 1) / rows * rows;
}
// Whether a GEMM over `columns` channels takes SevenRowTile: with more than one vector of channels,
// when it computes fewer rows in tiles of seven than in tiles of six (computed_rows(tile rows)).
template <class ComputedRows>
bool seven_row_tiles_pay(std::int64_t columns, ComputedRows computed_rows) {
  return kSevenRowTiles && columns > kVec && computed_rows(SevenRowTile::rows) < computed_rows(WideTile::rows);
}

// The tile shape for `columns` channels.
template <class Work>
decltype(auto) with_tile_shape(std::int64_t columns, Work work) {
  if (columns <= kVec) return work(NarrowTile{});
  return work(WideTile{});
}

// A(i, k) = rows[i][k]: consecutive elements.
struct ContiguousOffsets {
  std::int64_t operator()(std::int64_t k) const { return k; }
};

// A(i, k) = rows[i][table[k]]: kernel taps or output positions.
struct TableOffsets {
  const std::int64_t* table;
  std::int64_t operator()(std::int64_t k) const { return table[k]; }
};

// tile[i][j] (+)= Σ_{k < depth} rows[i][offsets(k)] · panel[k * Shape::columns + j]
// Never inlined: inside the input gradient's tile loop GCC 12 ran out of registers for the loop's
// pointers and kept a panel vector on the stack (a store and a reload every k); as a function of its
// own the loop keeps everything in registers (AVX-512, 1 thread: that input gradient 51% → 77% of
// the FMA peak). A call costs a few cycles per tile of hundreds of FMAs.
template <class Shape, class Offsets>
[[gnu::noinline]] void tile_gemm(std::int64_t depth, const float* const* rows, Offsets offsets,
                                 const float* panel, float* tile, bool accumulate) {
  constexpr std::int64_t R = Shape::rows, V = Shape::vecs, N = Shape::columns;
  Vec c[R][V];
  const float* row[R];
#pragma GCC unroll 16
  for (std::int64_t i = 0; i < R; ++i) {
    row[i] = rows[i];
#pragma GCC unroll 4
    for (std::int64_t v = 0; v < V; ++v) c[i][v] = Vec(0.f);
  }
  for (std::int64_t k = 0; k < depth; ++k) {
    Vec b[V];
#pragma GCC unroll 4
    for (std::int64_t v = 0; v < V; ++v) b[v] = Vec::load_aligned(panel + k * N + v * kVec);
    const std::int64_t o = offsets(k);
#pragma GCC unroll 16
    for (std::int64_t i = 0; i < R; ++i) {
      const Vec a(row[i][o]);
#pragma GCC unroll 4
      for (std::int64_t v = 0; v < V; ++v) c[i][v] = xsimd::fma(a, b[v], c[i][v]);
    }
  }
#pragma GCC unroll 16
  for (std::int64_t i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (std::int64_t v = 0; v < V; ++v) {
      float* out = tile + i * N + v * kVec;
      const Vec sum = accumulate ? c[i][v] + Vec::load_aligned(out) : c[i][v];
      sum.store_aligned(out);
    }
  }
}

}  // namespace attrax::kernels::fast

namespace attrax::kernels::fast {

constexpr std::int64_t kDirectRows = 6, kDirectColumns = 2 * kVec;

// The direct-convolution micro-kernel (stride 1): one output channel, kDirectRows rows x
// kDirectColumns columns,
//   out[i][j] = start + Σ_k weights[k] · rows[i][taps[k] + j]   (i < out_rows, j < out_columns)
// where rows[i] points at output row i's first column in the padded source. Each weight is
// broadcast once and meets 12 contiguous vector loads, so it suits few channels (the image stem)
// where the GEMM's tiles would be mostly empty.
inline void direct_tile(std::int64_t depth, const float* const* rows, const std::int64_t* taps,
                        const float* weights, float start, float* const* out, std::int64_t out_rows,
                        std::int64_t out_columns) {
  Vec c00(start), c01(start), c10(start), c11(start), c20(start), c21(start);
  Vec c30(start), c31(start), c40(start), c41(start), c50(start), c51(start);
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4], *r5 = rows[5];
  for (std::int64_t k = 0; k < depth; ++k) {
    const Vec a(weights[k]);
    const std::int64_t o = taps[k];
    c00 = xsimd::fma(a, Vec::load_unaligned(r0 + o), c00);
    c01 = xsimd::fma(a, Vec::load_unaligned(r0 + o + kVec), c01);
    c10 = xsimd::fma(a, Vec::load_unaligned(r1 + o), c10);
    c11 = xsimd::fma(a, Vec::load_unaligned(r1 + o + kVec), c11);
    c20 = xsimd::fma(a, Vec::load_unaligned(r2 + o), c20);
    c21 = xsimd::fma(a, Vec::load_unaligned(r2 + o + kVec), c21);
    c30 = xsimd::fma(a, Vec::load_unaligned(r3 + o), c30);
    c31 = xsimd::fma(a, Vec::load_unaligned(r3 + o + kVec), c31);
    c40 = xsimd::fma(a, Vec::load_unaligned(r4 + o), c40);
    c41 = xsimd::fma(a, Vec::load_unaligned(r4 + o + kVec), c41);
    c50 = xsimd::fma(a, Vec::load_unaligned(r5 + o), c50);
    c51 = xsimd::fma(a, Vec::load_unaligned(r5 + o + kVec), c51);
  }
  const Vec acc[kDirectRows][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (std::int64_t i = 0; i < out_rows; ++i) {
    if (out_columns == kDirectColumns) {
      acc[i][0].store_unaligned(out[i]);
      acc[i][1].store_unaligned(out[i] + kVec);
      continue;
    }
    alignas(64) float row[kDirectColumns];
    acc[i][0].store_aligned(row);
    acc[i][1].store_aligned(row + kVec);
    for (std::int64_t j = 0; j < out_columns; ++j) out[i][j] = row[j];
  }
}

// The index pattern of a full tile of consecutive positions (stride-1 outputs). Known at compile
// time, it turns the transposed stores below into vector inserts and stores instead of scalar stores
// through loaded indices (measured: 78% → 89% of a stride-1 input gradient's time in its FMA loop).
inline constexpr std::int64_t kConsecutive[kMaxTileRows] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
// Positions two apart: one row of a stride-2 phase.
inline constexpr std::int64_t kEveryOther[kMaxTileRows] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22};

// Whether index[i] = index[0] + step · i for every i < rows.
inline bool spaced(const std::int64_t* index, std::int64_t rows, std::int64_t step) {
  for (std::int64_t i = 1; i < rows; ++i)
    if (index[i] != index[0] + step * i) return false;
  return true;
}

// out[j·stride + index[i]] = tile[i][j] for i < rows, j < columns: a tile of positions x channels
// stored into channel planes `stride` floats apart. A full tile (the common case) runs with its
// positions in registers and no per-element bounds checks.
template <class Shape>
inline void store_transposed(const float* tile, std::int64_t rows, std::int64_t columns,
                             const std::int64_t* index, std::int64_t stride, float* out) {
  constexpr std::int64_t R = Shape::rows, N = Shape::columns;
  if (rows == R) {
    std::int64_t at[R];
#pragma GCC unroll 16
    for (std::int64_t i = 0; i < R; ++i) at[i] = index[i];
    for (std::int64_t j = 0; j < columns; ++j, out += stride) {
#pragma GCC unroll 16
      for (std::int64_t i = 0; i < R; ++i) out[at[i]] = tile[i * N + j];
    }
    return;
  }
  for (std::int64_t j = 0; j < columns; ++j, out += stride)
    for (std::int64_t i = 0; i < rows; ++i) out[index[i]] = tile[i * N + j];
}

}  // namespace attrax::kernels::fast
