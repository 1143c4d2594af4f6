#include "engine/kernels/fast/conv_common.hpp"

#include <array>
#include <vector>

namespace attrax::kernels::fast {

namespace {

// dst[0, n) = 0
void clear(float* dst, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + kVec <= n; i += kVec) Vec(0.f).store_unaligned(dst + i);
  for (; i < n; ++i) dst[i] = 0.f;
}

}  // namespace

#if XSIMD_WITH_AVX512F
// Four rounds of shuffles: pairs of rows interleaved by floats (unpacklo/hi), then by pairs of
// floats (shuffle_ps), leaving in 128-bit lane L of row 4i + c column 4L + c of rows 4i .. 4i + 3;
// then two rounds of lane shuffles gather the four row groups' lanes of each column.
void transpose_block(Vec (&rows)[kVec]) {
  // The zero-masked forms with every lane selected: GCC 12 implements the plain ones with an undefined
  // merge operand that -Wuninitialized reports (GCC bug 105593).
  constexpr __mmask16 kAll = 0xffff;
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = rows[i];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_maskz_unpacklo_ps(kAll, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_maskz_shuffle_ps(kAll, t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_maskz_shuffle_ps(kAll, t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_maskz_shuffle_ps(kAll, t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_maskz_shuffle_ps(kAll, t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // 0x88: lanes 0 and 2 of each operand; 0xdd: lanes 1 and 3
  for (int c = 0; c < 4; ++c) {
    t[c] = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0x88);
    t[c + 4] = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0xdd);
    t[c + 8] = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0x88);
    t[c + 12] = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0xdd);
  }
  for (int c = 0; c < 4; ++c) {
    rows[c] = _mm512_maskz_shuffle_f32x4(kAll, t[c], t[c + 8], 0x88);
    rows[c + 4] = _mm512_maskz_shuffle_f32x4(kAll, t[c + 4], t[c + 12], 0x88);
    rows[c + 8] = _mm512_maskz_shuffle_f32x4(kAll, t[c], t[c + 8], 0xdd);
    rows[c + 12] = _mm512_maskz_shuffle_f32x4(kAll, t[c + 4], t[c + 12], 0xdd);
  }
}
#elif XSIMD_WITH_AVX
// The same rounds for 8 x 8: floats, pairs of floats, then the two 128-bit lanes.
void transpose_block(Vec (&rows)[kVec]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int c = 0; c < 4; ++c) {
    rows[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    rows[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}
#else
// 4 x 4 with whole-register zips (SSE, NEON): rows 0 and 2, 1 and 3 interleaved, then the results.
void transpose_block(Vec (&rows)[kVec]) {
  static_assert(kVec == 4);
  const Vec t0 = xsimd::zip_lo(rows[0], rows[2]), t1 = xsimd::zip_hi(rows[0], rows[2]);
  const Vec t2 = xsimd::zip_lo(rows[1], rows[3]), t3 = xsimd::zip_hi(rows[1], rows[3]);
  rows[0] = xsimd::zip_lo(t0, t2);
  rows[1] = xsimd::zip_hi(t0, t2);
  rows[2] = xsimd::zip_lo(t1, t3);
  rows[3] = xsimd::zip_hi(t1, t3);
}
#endif

void pad_planes(const float* src, std::int64_t planes, std::int64_t H, std::int64_t W,
                std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right,
                float* dst) {
  const std::int64_t Hp = H + top + bottom, Wp = W + left + right;
#if XSIMD_WITH_AVX512F
  // Rows of at most one vector with no left border (the stride-2 input gradient's dy): one masked
  // load, zero past W, and one masked store of the whole padded row.
  if (left == 0 && Wp <= kVec) {
    const __mmask16 row_lanes = __mmask16((1u << W) - 1), padded_lanes = __mmask16((1u << Wp) - 1);
    for (std::int64_t plane = 0; plane < planes; ++plane) {
      float* out = dst + plane * Hp * Wp;
      const float* in = src + plane * H * W;
      clear(out, top * Wp);
      for (std::int64_t h = 0; h < H; ++h)
        _mm512_mask_storeu_ps(out + (top + h) * Wp, padded_lanes, _mm512_maskz_loadu_ps(row_lanes, in + h * W));
      clear(out + (top + H) * Wp, bottom * Wp);
    }
    return;
  }
#endif
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    float* out = dst + plane * Hp * Wp;
    const float* in = src + plane * H * W;
    clear(out, top * Wp + left);
    for (std::int64_t h = 0; h < H; ++h) {
      float* row = out + (top + h) * Wp + left;
      copy_row(in + h * W, W, row);
      // this row's right border and the next row's left border (or the bottom rows)
      clear(row + W, h + 1 < H ? right + left : right + bottom * Wp);
    }
  }
}

namespace {

// The last few offset tables of one kind this thread built, by the numbers that determine them: a
// network runs a handful of geometries call after call, so its tables are built once.
class TableCache {
 public:
  using Key = std::array<std::int64_t, 8>;

  // The table for `key` (`size` entries), filled by build(table) when it is not cached.
  template <class Build>
  const std::int64_t* get(const Key& key, std::int64_t size, Build build) {
    for (Entry& entry : entries_)
      if (entry.filled && entry.key == key) return entry.table.data();
    Entry& entry = entries_[next_++ % kEntries];
    entry.key = key;
    entry.filled = true;
    entry.table.resize(std::size_t(size));
    build(entry.table.data());
    return entry.table.data();
  }

 private:
  static constexpr std::size_t kEntries = 16;
  struct Entry {
    Key key{};
    bool filled = false;
    std::vector<std::int64_t> table;
  };
  std::array<Entry, kEntries> entries_;
  std::size_t next_ = 0;
};

}  // namespace

const std::int64_t* kernel_taps(const ConvGeometry& g, std::int64_t Wp, std::int64_t plane) {
  thread_local TableCache cache;
  const std::int64_t Cg = g.C / g.groups;
  return cache.get({Cg, g.R, g.S, g.dil_h, g.dil_w, Wp, plane, 0}, Cg * g.R * g.S, [&](std::int64_t* taps) {
    for (std::int64_t c = 0; c < Cg; ++c)
      for (std::int64_t r = 0; r < g.R; ++r)
        for (std::int64_t s = 0; s < g.S; ++s) taps[(c * g.R + r) * g.S + s] = c * plane + r * g.dil_h * Wp + s * g.dil_w;
  });
}

const std::int64_t* position_bases(const ConvGeometry& g, std::int64_t Wp, std::int64_t images,
                                   std::int64_t image_floats) {
  thread_local TableCache cache;
  return cache.get({g.P, g.Q, g.stride_h, g.stride_w, Wp, images, image_floats, 0}, images * g.P * g.Q,
                   [&](std::int64_t* bases) {
    for (std::int64_t image = 0; image < images; ++image)
      for (std::int64_t p = 0; p < g.P; ++p)
        for (std::int64_t q = 0; q < g.Q; ++q)
          *bases++ = image * image_floats + p * g.stride_h * Wp + q * g.stride_w;
  });
}

}  // namespace attrax::kernels::fast
