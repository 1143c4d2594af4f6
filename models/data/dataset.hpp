#pragma once
// An in-memory labelled image set stored as 8-bit pixels (60,000 Fashion-MNIST images take 47 MB),
// converted to float32 [0, 1] tensors one batch at a time.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace attrax::data {

struct Dataset {
  std::int64_t count = 0, channels = 0, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;        // [count, channels, height, width], row-major
  std::vector<std::int64_t> labels;        // [count], each in [0, class_names.size())
  std::vector<std::string> class_names;
  std::vector<std::uint8_t> masks;         // empty, or [count, height, width] foreground 0 / 255

  std::int64_t num_classes() const { return std::int64_t(class_names.size()); }
  bool has_masks() const { return !masks.empty(); }

  // float32 [n, channels, height, width] = pixels / 255 of the listed images, in that order.
  // Throws IndexError for an index outside [0, count).
  Tensor images(const std::vector<std::int64_t>& indices) const;
  // int64 [n] labels of the listed images.
  Tensor labels_of(const std::vector<std::int64_t>& indices) const;
  // float32 [n, 1, height, width] masks in {0, 1}; throws ValueError when the set has no masks.
  Tensor masks_of(const std::vector<std::int64_t>& indices) const;
  // The first `limit` images (all when limit <= 0 or >= count).
  Dataset head(std::int64_t limit) const;
};

}  // namespace attrax::data
