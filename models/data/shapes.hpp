#pragma once
// A deterministic synthetic dataset for localisation metrics: one filled shape per image (class 0
// circle, 1 square, 2 triangle, 3 cross, 4 ring, 5 diamond) of random size, position and colour on a
// random textured background (stripes or noise of a contrasting colour), with the exact foreground
// mask of the shape. Image i has label i % num_classes; its shape covers about 16%..32% of the
// image area, one pixel clear of the edges. Image i is drawn from Generator(seed, kShapesStream + i)
// alone, so it is the same whatever the count. Same options and seed → the same bytes everywhere.
#include <cstdint>

#include "models/data/dataset.hpp"

namespace attrax::data {

inline constexpr std::uint64_t kShapesStream = 0x5348415045000000;  // "SHAPE", plus the image index

struct ShapesOptions {
  std::int64_t count = 1000;
  std::int64_t size = 32;        // square images size x size
  std::int64_t channels = 3;     // 1 or 3
  std::int64_t num_classes = 6;  // the first num_classes shapes, 2..6
  std::uint64_t seed = 0;
};

// Throws ValueError for count < 1, size < 16, channels not 1 or 3, num_classes outside 2..6.
Dataset make_shapes(const ShapesOptions& options);

}  // namespace attrax::data
