// Synthetic shapes: determinism, independence of the count, mask geometry, contrast, balance.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "engine/error.hpp"
#include "models/data/shapes.hpp"

using namespace attrax;
using namespace attrax::data;

namespace {

// A running mean of pixel values.
struct MeanColour {
  double sum = 0;
  std::int64_t n = 0;
  double value() const { return n ? sum / double(n) : 0; }
};

// Image i's mean over the mask and over the background within 3 pixels of the mask's bounding box.
std::pair<double, double> foreground_and_surround(const Dataset& set, std::int64_t i) {
  const std::int64_t S = set.height, plane = S * S;
  const std::uint8_t* mask = set.masks.data() + i * plane;
  std::int64_t y0 = S, y1 = 0, x0 = S, x1 = 0;
  for (std::int64_t y = 0; y < S; ++y)
    for (std::int64_t x = 0; x < S; ++x)
      if (mask[y * S + x]) {
        y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
      }
  MeanColour fg, bg;
  for (std::int64_t c = 0; c < set.channels; ++c)
    for (std::int64_t y = std::max<std::int64_t>(0, y0 - 3); y <= std::min(S - 1, y1 + 3); ++y)
      for (std::int64_t x = std::max<std::int64_t>(0, x0 - 3); x <= std::min(S - 1, x1 + 3); ++x) {
        MeanColour& m = mask[y * S + x] ? fg : bg;
        m.sum += set.pixels[std::size_t((i * set.channels + c) * plane + y * S + x)];
        ++m.n;
      }
  return {fg.value(), bg.value()};
}

}  // namespace

TEST_CASE("shapes: the same options give identical bytes and another seed differs") {
  const ShapesOptions options{.count = 30, .size = 24, .seed = 5};
  const Dataset a = make_shapes(options), b = make_shapes(options);
  CHECK(a.pixels == b.pixels);
  CHECK(a.masks == b.masks);
  CHECK(a.labels == b.labels);
  CHECK(a.pixels.size() == std::size_t(30 * 3 * 24 * 24));
  CHECK(a.masks.size() == std::size_t(30 * 24 * 24));
  ShapesOptions other = options;
  other.seed = 6;
  CHECK(make_shapes(other).pixels != a.pixels);
}

TEST_CASE("shapes: image i does not depend on how many images are made") {
  const Dataset ten = make_shapes({.count = 10, .seed = 3});
  const Dataset twenty = make_shapes({.count = 20, .seed = 3});
  CHECK(std::equal(ten.pixels.begin(), ten.pixels.end(), twenty.pixels.begin()));
  CHECK(std::equal(ten.masks.begin(), ten.masks.end(), twenty.masks.begin()));
  CHECK(twenty.head(10).pixels == ten.pixels);
}

TEST_CASE("shapes: each mask covers 10%..40% of the image and keeps clear of the border") {
  for (const std::int64_t size : {16, 32, 64}) {
    CAPTURE(size);
    const Dataset set = make_shapes({.count = 120, .size = size, .channels = 1});
    const std::int64_t plane = size * size;
    for (std::int64_t i = 0; i < set.count; ++i) {
      CAPTURE(i);
      const std::uint8_t* mask = set.masks.data() + i * plane;
      const auto area = std::count(mask, mask + plane, 255);
      CHECK(std::count(mask, mask + plane, 0) + area == plane);
      CHECK(double(area) / double(plane) >= 0.10);
      CHECK(double(area) / double(plane) <= 0.40);
      std::int64_t on_border = 0;
      for (std::int64_t k = 0; k < size; ++k)
        on_border += mask[k] + mask[(size - 1) * size + k] + mask[k * size] +
                     mask[k * size + size - 1];
      CHECK(on_border == 0);
    }
  }
}

TEST_CASE("shapes: the shape's colour stands out from the background around it") {
  // By construction the shape is >= 30 grey levels per channel from every background colour.
  for (const std::int64_t channels : {1, 3}) {
    const Dataset set = make_shapes({.count = 60, .size = 32, .channels = channels, .seed = 9});
    double total = 0;
    for (std::int64_t i = 0; i < set.count; ++i) {
      CAPTURE(i);
      const auto [foreground, surround] = foreground_and_surround(set, i);
      CHECK(std::abs(foreground - surround) >= 30);
      total += std::abs(foreground - surround);
    }
    CHECK(total / double(set.count) > 80);
  }
}

TEST_CASE("shapes: the pixels of each mask are exactly those in the shape's colour") {
  // The shape is one flat colour, which the background (the other half of the range) never takes.
  const Dataset set = make_shapes({.count = 24, .size = 32, .channels = 3, .seed = 1});
  const std::int64_t plane = 32 * 32;
  for (std::int64_t i = 0; i < set.count; ++i) {
    const std::uint8_t* mask = set.masks.data() + i * plane;
    const std::uint8_t* red = set.pixels.data() + i * 3 * plane;
    const std::int64_t first = std::find(mask, mask + plane, 255) - mask;
    std::int64_t differs = 0;
    for (std::int64_t k = 0; k < plane; ++k) differs += (mask[k] != 0) != (red[k] == red[first]);
    CHECK(differs == 0);
  }
}

TEST_CASE("shapes: classes are balanced and named") {
  const Dataset set = make_shapes({.count = 600, .size = 16, .num_classes = 4});
  CHECK(set.class_names == std::vector<std::string>{"circle", "square", "triangle", "cross"});
  for (std::int64_t c = 0; c < 4; ++c)
    CHECK(std::count(set.labels.begin(), set.labels.end(), c) == 150);
  CHECK(make_shapes({.count = 6}).class_names.back() == "diamond");
}

TEST_CASE("shapes: bad options are ValueErrors") {
  CHECK_THROWS_AS(make_shapes({.count = 0}), ValueError);
  CHECK_THROWS_AS(make_shapes({.size = 15}), ValueError);
  CHECK_THROWS_AS(make_shapes({.channels = 2}), ValueError);
  CHECK_THROWS_AS(make_shapes({.num_classes = 1}), ValueError);
  CHECK_THROWS_AS(make_shapes({.num_classes = 7}), ValueError);
}
