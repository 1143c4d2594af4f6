// Dataset: byte-to-float conversion of listed images, labels, masks, index checks and head().
#include <doctest/doctest.h>

#include "engine/error.hpp"
#include "models/data/dataset.hpp"

using namespace attrax;
using namespace attrax::data;

namespace {

// Three 1-channel 1x2 images with pixels {0, 51}, {102, 153}, {204, 255} and masks on image 1 only.
Dataset three_images(bool with_masks) {
  Dataset set;
  set.count = 3;
  set.channels = 1;
  set.height = 1;
  set.width = 2;
  set.pixels = {0, 51, 102, 153, 204, 255};
  set.labels = {2, 0, 1};
  set.class_names = {"a", "b", "c"};
  if (with_masks) set.masks = {0, 0, 255, 0, 0, 0};
  return set;
}

}  // namespace

TEST_CASE("dataset: images are pixels / 255 as float32 NCHW in the listed order") {
  const Tensor x = three_images(false).images({2, 0, 2});
  CHECK(x.shape() == Shape{3, 1, 1, 2});
  CHECK(x.dtype() == DType::Float32);
  const std::vector<double> expected = {0.8, 1.0, 0.0, 0.2, 0.8, 1.0};
  const std::vector<double> got = x.to_vector();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]));
}

TEST_CASE("dataset: labels_of gives int64 labels of the listed images") {
  const Tensor y = three_images(false).labels_of({1, 2, 0});
  CHECK(y.dtype() == DType::Int64);
  CHECK(y.to_vector() == std::vector<double>{0, 1, 2});
}

TEST_CASE("dataset: masks_of gives 0 / 1 floats of shape n x 1 x H x W and needs masks") {
  CHECK(three_images(true).masks_of({1, 0}).to_vector() == std::vector<double>{1, 0, 0, 0});
  CHECK(three_images(true).masks_of({1}).shape() == Shape{1, 1, 1, 2});
  CHECK_THROWS_AS(three_images(false).masks_of({0}), ValueError);
}

TEST_CASE("dataset: a negative index or one past the last image is an IndexError") {
  const Dataset set = three_images(true);
  CHECK_THROWS_AS(set.images({3}), IndexError);
  CHECK_THROWS_AS(set.images({-1}), IndexError);
  CHECK_THROWS_AS(set.labels_of({0, 5}), IndexError);
  CHECK_THROWS_AS(set.masks_of({3}), IndexError);
}

TEST_CASE("dataset: head keeps the first images, labels and masks") {
  const Dataset set = three_images(true);
  const Dataset first = set.head(2);
  CHECK(first.count == 2);
  CHECK(first.pixels == std::vector<std::uint8_t>{0, 51, 102, 153});
  CHECK(first.labels == std::vector<std::int64_t>{2, 0});
  CHECK(first.masks == std::vector<std::uint8_t>{0, 0, 255, 0});
  CHECK(first.class_names == set.class_names);
  CHECK(first.width == 2);
  CHECK(set.head(0).count == 3);
  CHECK(set.head(-1).count == 3);
  CHECK(set.head(7).pixels == set.pixels);
  CHECK_FALSE(three_images(false).head(1).has_masks());
}
