#include "models/data/dataset.hpp"

#include <type_traits>

#include "engine/error.hpp"

namespace attrax::data {

namespace {

void require_index(const Dataset& set, std::int64_t index, const char* op) {
  if (index < 0 || index >= set.count)
    throw IndexError(std::string(op) + ": image index " + std::to_string(index) +
                     " is outside the dataset of " + std::to_string(set.count) + " images");
}

// out[k * n + j] = bytes[indices[k] * n + j] / 255 for j < n: a block of n floats per listed image.
Tensor bytes_to_unit_floats(const Dataset& set, const std::vector<std::uint8_t>& bytes,
                            std::int64_t bytes_per_image, const std::vector<std::int64_t>& indices,
                            const Shape& shape, const char* op) {
  Tensor out = Tensor::empty(shape);
  float* dst = out.data<float>();
  for (const std::int64_t index : indices) {
    require_index(set, index, op);
    const std::uint8_t* src = bytes.data() + index * bytes_per_image;
    for (std::int64_t j = 0; j < bytes_per_image; ++j) *dst++ = float(src[j]) / 255.0f;
  }
  return out;
}

}  // namespace

Tensor Dataset::images(const std::vector<std::int64_t>& indices) const {
  const std::int64_t n = std::int64_t(indices.size());
  return bytes_to_unit_floats(*this, pixels, channels * height * width, indices,
                              {n, channels, height, width}, "Dataset::images");
}

Tensor Dataset::labels_of(const std::vector<std::int64_t>& indices) const {
  std::vector<std::int64_t> picked;
  picked.reserve(indices.size());
  for (const std::int64_t index : indices) {
    require_index(*this, index, "Dataset::labels_of");
    picked.push_back(labels[std::size_t(index)]);
  }
  return Tensor::from_data(picked, {std::int64_t(picked.size())});
}

Tensor Dataset::masks_of(const std::vector<std::int64_t>& indices) const {
  if (!has_masks())
    throw ValueError("Dataset::masks_of: this dataset has no foreground masks (only make_shapes "
                     "provides them)");
  const std::int64_t n = std::int64_t(indices.size());
  return bytes_to_unit_floats(*this, masks, height * width, indices, {n, 1, height, width},
                              "Dataset::masks_of");
}

Dataset Dataset::head(std::int64_t limit) const {
  if (limit <= 0 || limit >= count) return *this;
  const auto first_of = [limit](const auto& all, std::int64_t per_image) {
    return std::decay_t<decltype(all)>(all.begin(), all.begin() + limit * per_image);
  };
  return Dataset{limit,
                 channels,
                 height,
                 width,
                 first_of(pixels, channels * height * width),
                 first_of(labels, 1),
                 class_names,
                 has_masks() ? first_of(masks, height * width) : std::vector<std::uint8_t>{}};
}

}  // namespace attrax::data
