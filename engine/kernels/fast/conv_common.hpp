#pragma once
// Pieces shared by the fast convolution kernels: zero-padded image copies, packed weight panels and
// the loop that walks images so that each one is padded right before it is used (while in cache).
#include <cstdint>
#include <vector>

#include "engine/kernels/fast/tile_gemm.hpp"
#include "engine/kernels/geometry.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

// Extra floats after a padded buffer: a 16-wide tile may read past the last row it uses.
constexpr std::int64_t kSlack = 2 * kTileN;

// dst: [planes, H + top + bottom, W + left + right] = src: [planes, H, W] with zero borders.
void pad_planes(const float* src, std::int64_t planes, std::int64_t H, std::int64_t W,
                std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right,
                float* dst);

// Packs column block `panel` of B (depth x columns, element (k, j) = b(k, j)) into
// panel[k * kTileN + j'], zero past `columns`. Column by column: the callers' B is contiguous along
// k for a fixed j (weights [K][depth], dy planes [K][positions]).
template <class B>
void pack_panel(std::int64_t depth, std::int64_t columns, std::int64_t panel, B b, float* out) {
  const std::int64_t first = panel * kTileN;
  for (std::int64_t j = 0; j < kTileN; ++j) {
    float* column = out + j;
    if (first + j < columns) {
      for (std::int64_t k = 0; k < depth; ++k) column[k * kTileN] = b(k, first + j);
    } else {
      for (std::int64_t k = 0; k < depth; ++k) column[k * kTileN] = 0.f;
    }
  }
}

// Offsets of the taps (c,r,s) of one group in a padded image with rows of Wp and planes of `plane`
// floats: tap = c plane + r dh Wp + s dw. The calling thread's table, valid until its next call.
const std::int64_t* kernel_taps(const ConvGeometry& g, std::int64_t Wp, std::int64_t plane);
// Offsets of the output positions m = (p,q) in that image: base = p sh Wp + q sw. Likewise.
const std::int64_t* position_bases(const ConvGeometry& g, std::int64_t Wp);

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Calls work(n, image, item) for every image n < N and item < items, where `image` is what
// pad(n, buffer) returns: image n padded into `buffer` (image_floats floats, plus kSlack), or the
// unpadded input itself when it needs no padding. Runs in its own parallel region after prepare()
// (called by every thread; use `omp for` inside it). When the batch divides among the threads each
// thread pads and finishes one image at a time (the image stays in cache), taking the next free
// image as it goes: on a shared machine a thread that loses its core for a while then does fewer
// images instead of holding the others at the barrier, and an image's values do not depend on the
// thread that computes it. Otherwise (batch 1) all images are padded first and the items are shared.
template <class Prepare, class Pad, class Work>
void for_each_image_item(std::int64_t N, std::int64_t items, std::int64_t image_floats, Prepare prepare,
                         Pad pad, Work work) {
  const std::int64_t threads = max_threads();
  if (N % threads == 0 || N >= 8 * threads) {
    ATTRAX_OMP(parallel) {
      prepare();
      float* buffer = scratch(0, std::size_t(image_floats + kSlack));
      ATTRAX_OMP(for schedule(dynamic, 1))
      for (std::int64_t n = 0; n < N; ++n) {
        const float* image = pad(n, buffer);
        for (std::int64_t item = 0; item < items; ++item) work(n, image, item);
      }
    }
    return;
  }
  float* buffer = scratch(0, std::size_t(N * image_floats + kSlack));
  thread_local std::vector<const float*> images;
  images.resize(std::size_t(N));
  const float** image_of = images.data();
  ATTRAX_OMP(parallel) {
    prepare();
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t n = 0; n < N; ++n) image_of[n] = pad(n, buffer + n * image_floats);
    const Range mine = thread_range(N * items);
    for (std::int64_t i = mine.begin; i < mine.end; ++i) work(i / items, image_of[i / items], i % items);
  }
}

}  // namespace attrax::kernels::fast
