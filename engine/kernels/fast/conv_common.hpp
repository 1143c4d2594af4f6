#pragma once
// Pieces shared by the fast convolution kernels: zero-padded image copies, packed weight panels and
// the loop that walks images so that each one is padded right before it is used (while in cache).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/kernels/fast/tile_gemm.hpp"
#include "engine/kernels/geometry.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

// Extra floats after a padded buffer: a direct tile may read past the last row it uses.
constexpr std::int64_t kSlack = 2 * kDirectColumns;

// dst[0, n) = src[0, n): whole vectors, the last one overlapping its predecessor when n is not a
// multiple of the vector width (rewriting the same values), so rows of 7 to 30 floats need no
// scalar tail.
// Shorter rows take one masked load and store where the instruction set has them (AVX-512: rows of
// 14 floats cost 13% of a stride-2 input gradient copied one by one).
inline void copy_row(const float* src, std::int64_t n, float* dst) {
  if (n < kVec) {
#if XSIMD_WITH_AVX512F
    const __mmask16 lanes = __mmask16((1u << n) - 1);
    _mm512_mask_storeu_ps(dst, lanes, _mm512_maskz_loadu_ps(lanes, src));
#else
    for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
#endif
    return;
  }
  for (std::int64_t i = 0; i + kVec < n; i += kVec) Vec::load_unaligned(src + i).store_unaligned(dst + i);
  Vec::load_unaligned(src + n - kVec).store_unaligned(dst + n - kVec);
}

// The first n lanes of src and zeros after them (n <= kVec), reading only src[0, n).
inline Vec load_first(const float* src, std::int64_t n) {
#if XSIMD_WITH_AVX512F
  return _mm512_maskz_loadu_ps(__mmask16((1u << n) - 1), src);
#else
  alignas(64) float lanes[kVec] = {};
  std::copy_n(src, n, lanes);
  return Vec::load_aligned(lanes);
#endif
}

// out[0 .. n) = the first n lanes of v, n <= kVec.
inline void store_first(const Vec& v, std::int64_t n, float* out) {
#if XSIMD_WITH_AVX512F
  _mm512_mask_storeu_ps(out, __mmask16((1u << n) - 1), v);
#else
  alignas(64) float lanes[kVec];
  v.store_aligned(lanes);
  std::copy_n(lanes, n, out);
#endif
}

// v[Shift .. Shift + kVec) given here = v[0 .. kVec) and next = v[kVec .. 2 kVec): a shift in the
// registers where the instruction set has one (AVX-512 valignd, AArch64 ext), else an unaligned
// load. Left to itself, GCC folds an unaligned load into every FMA that uses it, all but one in
// kVec of them split across two cache lines (the stride-2 input gradient ran at 51% of the FMA
// peak that way, 63% with the shift; the Winograd 16x16 forward at 83 against 89-107 GFLOP/s).
template <int Shift>
inline Vec lanes_on([[maybe_unused]] const float* v, [[maybe_unused]] const Vec& here,
                    [[maybe_unused]] const Vec& next) {
#if XSIMD_WITH_AVX512F
  const __m512i low = _mm512_castps_si512(here), high = _mm512_castps_si512(next);
  return _mm512_castsi512_ps(_mm512_alignr_epi32(high, low, Shift));
#elif XSIMD_WITH_NEON64
  return vextq_f32(here, next, Shift);
#else
  return Vec::load_unaligned(v + Shift);
#endif
}

// dst: [planes, H + top + bottom, W + left + right] = src: [planes, H, W] with zero borders.
void pad_planes(const float* src, std::int64_t planes, std::int64_t H, std::int64_t W,
                std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right,
                float* dst);

// Packs column block `panel` of B (depth x columns, element (k, j) = b(k, j)) into
// panel[k * Width + j'], zero past `columns`. Column by column, as the callers' B is contiguous along
// k for a fixed j (weights [K][depth], dy planes [K][positions]), in blocks of kPackRows rows so that
// the panel rows being filled stay in L1 until every column has written them (column by column over
// the whole depth wrote each line of a 64x64 layer's 147 KB panels 32 times, evicted in between:
// packing took 30% of a batch-1 forward).
template <std::int64_t Width, class B>
void pack_panel(std::int64_t depth, std::int64_t columns, std::int64_t panel, B b, float* out) {
  constexpr std::int64_t kPackRows = 16;
  const std::int64_t first = panel * Width;
  for (std::int64_t k0 = 0; k0 < depth; k0 += kPackRows) {
    const std::int64_t k1 = std::min(depth, k0 + kPackRows);
    for (std::int64_t j = 0; j < Width; ++j) {
      float* column = out + j;
      if (first + j < columns) {
        for (std::int64_t k = k0; k < k1; ++k) column[k * Width] = b(k, first + j);
      } else {
        for (std::int64_t k = k0; k < k1; ++k) column[k * Width] = 0.f;
      }
    }
  }
}

// rows[k][i] = rows[i][k] for i, k < kVec: a block of kVec x kVec transposed in registers.
void transpose_block(Vec (&rows)[kVec]);

// pack_panel for B(k, j) = src[j · ld + k] · scale[j] (no factor when scale is null): sources whose
// columns are contiguous along k, the forward pass's weights [K][depth] and the weight gradient's dy
// planes [K][positions]. Blocks of kVec x kVec are loaded as kVec rows of src, transposed in
// registers and stored as whole panel rows, where pack_panel writes one float at a time (with
// AVX-512 it was a fifth of a 1-thread batch-1 ResNet-20 forward, perf).
template <std::int64_t Width>
void pack_transposed(const float* src, std::int64_t ld, const float* scale, std::int64_t depth,
                     std::int64_t columns, std::int64_t panel, float* out) {
  static_assert(Width % kVec == 0);
  const std::int64_t first = panel * Width, blocked = depth / kVec * kVec;
  for (std::int64_t k0 = 0; k0 < blocked; k0 += kVec)
    for (std::int64_t j0 = 0; j0 < Width; j0 += kVec) {
      Vec rows[kVec];
      for (std::int64_t i = 0; i < kVec; ++i) {
        const std::int64_t j = first + j0 + i;
        if (j >= columns) {
          rows[i] = Vec(0.f);
          continue;
        }
        rows[i] = Vec::load_unaligned(src + j * ld + k0);
        if (scale) rows[i] *= Vec(scale[j]);
      }
      transpose_block(rows);
      for (std::int64_t k = 0; k < kVec; ++k) rows[k].store_aligned(out + (k0 + k) * Width + j0);
    }
  if (blocked == depth) return;
  pack_panel<Width>(depth - blocked, columns, panel, [&](std::int64_t k, std::int64_t j) {
    return scale ? src[j * ld + blocked + k] * scale[j] : src[j * ld + blocked + k];
  }, out + blocked * Width);
}

// Offsets of the taps (c,r,s) of one group in a padded image with rows of Wp and planes of `plane`
// floats: tap = c plane + r dh Wp + s dw. The calling thread's table, valid until its next call.
const std::int64_t* kernel_taps(const ConvGeometry& g, std::int64_t Wp, std::int64_t plane);
// Offsets of the output positions m = (image, p, q) of `images` consecutive images, `image_floats`
// apart: base = image · image_floats + p sh Wp + q sw. Likewise.
const std::int64_t* position_bases(const ConvGeometry& g, std::int64_t Wp, std::int64_t images = 1,
                                   std::int64_t image_floats = 0);

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The weight gradients sum images in fixed blocks of kImageBlock (each block by one thread), then
// add the blocks in order: the grouping does not depend on the thread count, so neither do the
// results.
constexpr std::int64_t kImageBlock = 8;
// Images are joined into one GEMM while their positions number at most this many (the x and dy
// values of one tile's sum then stay well inside L1).
constexpr std::int64_t kJoinedDepth = 256;

// Images joined into one GEMM: the largest power of two that divides kImageBlock and keeps
// images · positions at or below kJoinedDepth (at least one).
inline std::int64_t images_per_gemm(std::int64_t positions) {
  std::int64_t images = 1;
  while (2 * images <= kImageBlock && 2 * images * positions <= kJoinedDepth) images *= 2;
  return images;
}

// sums[f] = Σ_b sums[b · block_floats + f] for f < block_floats (a multiple of kVec), the blocks
// added in order, block 0 first. Inside a parallel region; a barrier follows. (Summing one output
// at a time over the blocks, block_floats apart, missed the cache on nearly every load: 11% of a
// 32-channel 14x14 weight gradient.)
inline void add_blocks_in_order(float* sums, std::int64_t blocks, std::int64_t block_floats) {
  ATTRAX_OMP(for schedule(static))
  for (std::int64_t f = 0; f < block_floats; f += kVec) {
    Vec total = Vec::load_aligned(sums + f);
    for (std::int64_t b = 1; b < blocks; ++b) total += Vec::load_aligned(sums + b * block_floats + f);
    total.store_aligned(sums + f);
  }
}

// The source images of a convolution kernel, `planes` planes of H x W each, as the kernel reads them:
// copied with zero borders into a buffer (which the kernel may read up to kSlack floats past), or,
// when `in_place`, read where they are (no border, and a kernel that stays inside each image).
struct PaddedImages {
  const float* src;
  std::int64_t planes, H, W, top, bottom, left, right;
  bool in_place = false;

  std::int64_t plane_floats() const { return (H + top + bottom) * (W + left + right); }
  std::int64_t image_floats() const { return planes * plane_floats(); }
  const float* original(std::int64_t n) const { return src + n * planes * H * W; }
  // Planes [first, first + count) of image n padded into `image`, image n's padded copy.
  void pad(std::int64_t n, std::int64_t first, std::int64_t count, float* image) const {
    pad_planes(original(n) + first * H * W, count, H, W, top, bottom, left, right,
               image + first * plane_floats());
  }
};

constexpr std::int64_t kLine = 64;  // bytes in a cache line

// Asks for part `part` of `parts` equal shares of the cache lines of start[0, floats) to be brought
// into L2 (a hint: no fault, no wait). A kernel fetches its next image this way, a share before
// each piece of work on the current one, so that the image is in cache when its turn comes.
inline void prefetch_share(const float* start, std::int64_t floats, std::int64_t part, std::int64_t parts) {
  const char* bytes = reinterpret_cast<const char*>(start);
  const std::int64_t lines = (floats * std::int64_t(sizeof(float)) + kLine - 1) / kLine;
  const std::int64_t per_part = (lines + parts - 1) / parts, end = std::min(lines, (part + 1) * per_part);
  for (std::int64_t line = part * per_part; line < end; ++line) __builtin_prefetch(bytes + line * kLine, 0, 2);
}

// Calls work(n, image, item) for every image n < N of `source` and item < items, `image` pointing at
// image n as the kernel reads it (see PaddedImages). Runs in its own parallel region (none for one
// thread, or when the N images' `flops_per_image` are too little work: worth_threads) after
// prepare(), which every thread calls (use `omp for nowait` inside it: a barrier follows). When the
// batch divides among the threads each thread pads and finishes one image at a time (the image
// stays in cache), over a contiguous block of the batch: the same block in every convolution, and
// the one the elementwise ops' static chunks give it, so the activations an image's ops hand on stay
// in that core's caches. (Handing out the next free image instead kept a thread that lost its core
// from holding the others up, but on a VM whose vCPUs sit ~450 ns apart moving the activations
// between the caches cost more: IG-32 6.8 → 6.05 ms, a ResNet-8 training step 43.7 → 38.9 ms.) An
// image's values do not depend on the thread that computes it. Otherwise (batch 1) the threads pad
// all images together, plane by plane, and share the items.
template <class Prepare, class Work>
void for_each_image_item(std::int64_t N, std::int64_t items, double flops_per_image,
                         const PaddedImages& source, Prepare prepare, Work work) {
  // Image n padded into this thread's buffer (or read in place), then all its items.
  const auto whole_image = [&](std::int64_t n) {
    float* buffer = source.in_place ? nullptr : scratch(0, std::size_t(source.image_floats() + kSlack));
    if (!source.in_place) source.pad(n, 0, source.planes, buffer);
    const float* image = source.in_place ? source.original(n) : buffer;
    // Image n + 1 is fetched into L2 while image n's items run, an equal share of its lines before
    // each item: padding it then reads cache, not memory (a stride-2 input gradient, 16 → 32
    // channels at 28x28, batch 128, 1 thread: 139 → 148 GFLOP/s, medians of 16 runs).
    const std::int64_t floats = source.planes * source.H * source.W;
    for (std::int64_t item = 0; item < items; ++item) {
      if (n + 1 < N) prefetch_share(source.original(n + 1), floats, item, items);
      work(n, image, item);
    }
  };
  const std::int64_t threads = worth_threads(double(N) * flops_per_image, N) ? max_threads() : 1;
  if (threads == 1) {
    // No region at all: libgomp spends about a microsecond on one even for a single thread.
    prepare();
    for (std::int64_t n = 0; n < N; ++n) whole_image(n);
    return;
  }
  if (N % threads == 0 || N >= 8 * threads) {
    ATTRAX_OMP(parallel) {
      prepare();
      ATTRAX_OMP(barrier)
      ATTRAX_OMP(for schedule(static))
      for (std::int64_t n = 0; n < N; ++n) whole_image(n);
    }
    return;
  }
  const std::int64_t image_floats = source.image_floats();
  float* buffer = source.in_place ? nullptr : scratch(0, std::size_t(N * image_floats + kSlack));
  const auto image_of = [&](std::int64_t n) {
    return source.in_place ? source.original(n) : buffer + n * image_floats;
  };
  ATTRAX_OMP(parallel) {
    prepare();
    if (!source.in_place) {
      ATTRAX_OMP(for schedule(static) nowait)
      for (std::int64_t i = 0; i < N * source.planes; ++i)
        source.pad(i / source.planes, i % source.planes, 1, buffer + i / source.planes * image_floats);
    }
    ATTRAX_OMP(barrier)
    const Range mine = thread_range(N * items);
    for (std::int64_t i = mine.begin; i < mine.end; ++i) work(i / items, image_of(i / items), i % items);
  }
}

}  // namespace attrax::kernels::fast
