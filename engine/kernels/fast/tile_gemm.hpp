#pragma once
// The register-blocked micro-kernel behind every fast convolution: one kTileM x kTileN tile of
//   C[i][j] = Σ_k A(i, k) · panel[k][j],   A(i, k) = rows[i][offsets(k)]
// where A is read in place (an implicit GEMM: rows point into a padded image, offsets walk the kernel
// taps or the positions) and the panel is packed, kTileN contiguous floats per k. kTileM x 2 SIMD
// accumulators stay in registers: 12 of the 16 on AVX2 (8 floats each) and NEON (4 floats each).
#include <xsimd/xsimd.hpp>

#include <cstdint>

namespace attrax::kernels::fast {

using Vec = xsimd::batch<float>;
constexpr std::int64_t kVec = std::int64_t(Vec::size);
constexpr std::int64_t kTileM = 6;
constexpr std::int64_t kTileN = 2 * kVec;

// A(i, k) = rows[i][k]: consecutive elements.
struct ContiguousOffsets {
  std::int64_t operator()(std::int64_t k) const { return k; }
};

// A(i, k) = rows[i][table[k]]: kernel taps or output positions.
struct TableOffsets {
  const std::int64_t* table;
  std::int64_t operator()(std::int64_t k) const { return table[k]; }
};

// tile[i][j] (+)= Σ_{k < depth} rows[i][offsets(k)] · panel[k * kTileN + j]
// Never inlined: inside the input gradient's tile loop GCC 12 ran out of registers for the loop's
// pointers and kept a panel vector on the stack (a store and a reload every k); as a function of its
// own the loop keeps everything in registers (AVX-512, 1 thread: that input gradient 51% → 77% of
// the FMA peak). A call costs a few cycles per tile of hundreds of FMAs.
template <class Offsets>
[[gnu::noinline]] void tile_gemm(std::int64_t depth, const float* const* rows, Offsets offsets,
                                 const float* panel, float* tile, bool accumulate) {
  Vec c00(0.f), c01(0.f), c10(0.f), c11(0.f), c20(0.f), c21(0.f);
  Vec c30(0.f), c31(0.f), c40(0.f), c41(0.f), c50(0.f), c51(0.f);
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4], *r5 = rows[5];
  for (std::int64_t k = 0; k < depth; ++k) {
    const Vec b0 = Vec::load_aligned(panel + k * kTileN);
    const Vec b1 = Vec::load_aligned(panel + k * kTileN + kVec);
    const std::int64_t o = offsets(k);
    Vec a(r0[o]);
    c00 = xsimd::fma(a, b0, c00);
    c01 = xsimd::fma(a, b1, c01);
    a = Vec(r1[o]);
    c10 = xsimd::fma(a, b0, c10);
    c11 = xsimd::fma(a, b1, c11);
    a = Vec(r2[o]);
    c20 = xsimd::fma(a, b0, c20);
    c21 = xsimd::fma(a, b1, c21);
    a = Vec(r3[o]);
    c30 = xsimd::fma(a, b0, c30);
    c31 = xsimd::fma(a, b1, c31);
    a = Vec(r4[o]);
    c40 = xsimd::fma(a, b0, c40);
    c41 = xsimd::fma(a, b1, c41);
    a = Vec(r5[o]);
    c50 = xsimd::fma(a, b0, c50);
    c51 = xsimd::fma(a, b1, c51);
  }
  const Vec acc[kTileM][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (std::int64_t i = 0; i < kTileM; ++i) {
    for (std::int64_t h = 0; h < 2; ++h) {
      float* out = tile + i * kTileN + h * kVec;
      const Vec v = accumulate ? acc[i][h] + Vec::load_aligned(out) : acc[i][h];
      v.store_aligned(out);
    }
  }
}

}  // namespace attrax::kernels::fast

namespace attrax::kernels::fast {

// The direct-convolution micro-kernel (stride 1): one output channel, kTileM rows x kTileN columns,
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
  const Vec acc[kTileM][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (std::int64_t i = 0; i < out_rows; ++i) {
    if (out_columns == kTileN) {
      acc[i][0].store_unaligned(out[i]);
      acc[i][1].store_unaligned(out[i] + kVec);
      continue;
    }
    alignas(64) float row[kTileN];
    acc[i][0].store_aligned(row);
    acc[i][1].store_aligned(row + kVec);
    for (std::int64_t j = 0; j < out_columns; ++j) out[i][j] = row[j];
  }
}

// The index pattern of a full tile of consecutive positions (stride-1 outputs). Known at compile
// time, it turns the transposed stores below into vector inserts and stores instead of scalar stores
// through loaded indices (measured: 78% → 89% of a stride-1 input gradient's time in its FMA loop).
inline constexpr std::int64_t kConsecutive[kTileM] = {0, 1, 2, 3, 4, 5};

// Whether index[i] = index[0] + i for every i < kTileM.
inline bool consecutive(const std::int64_t* index) {
  for (std::int64_t i = 1; i < kTileM; ++i)
    if (index[i] != index[0] + i) return false;
  return true;
}

// out[j·stride + index[i]] = tile[i][j] for i < rows, j < columns: a tile of positions x channels
// stored into channel planes `stride` floats apart. A full tile (the common case) runs with its
// six positions in registers and no per-element bounds checks.
inline void store_transposed(const float* tile, std::int64_t rows, std::int64_t columns,
                             const std::int64_t* index, std::int64_t stride, float* out) {
  static_assert(kTileM == 6, "the full-tile path names six positions");
  if (rows == kTileM) {
    const std::int64_t i0 = index[0], i1 = index[1], i2 = index[2], i3 = index[3], i4 = index[4], i5 = index[5];
    for (std::int64_t j = 0; j < columns; ++j, out += stride) {
      out[i0] = tile[j];
      out[i1] = tile[kTileN + j];
      out[i2] = tile[2 * kTileN + j];
      out[i3] = tile[3 * kTileN + j];
      out[i4] = tile[4 * kTileN + j];
      out[i5] = tile[5 * kTileN + j];
    }
    return;
  }
  for (std::int64_t j = 0; j < columns; ++j, out += stride)
    for (std::int64_t i = 0; i < rows; ++i) out[index[i]] = tile[i * kTileN + j];
}

}  // namespace attrax::kernels::fast
