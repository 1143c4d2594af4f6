// Loader: batches as a pure function of (epoch, step), epoch permutations, sizes, augmentation.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>
#include <thread>

#include "engine/error.hpp"
#include "models/data/loader.hpp"

using namespace attrax;
using namespace attrax::data;

namespace {

// `count` single-channel 5x6 images whose pixels are all distinct and non-zero, labelled i % 3.
Dataset distinct_images(std::int64_t count, std::int64_t channels = 1) {
  Dataset set;
  set.count = count;
  set.channels = channels;
  set.height = 5;
  set.width = 6;
  set.class_names = {"a", "b", "c"};
  for (std::int64_t i = 0; i < count; ++i) {
    set.labels.push_back(i % 3);
    for (std::int64_t k = 0; k < channels * 30; ++k)
      set.pixels.push_back(std::uint8_t(1 + (i * 37 + k * 7) % 255));
  }
  return set;
}

std::vector<double> sample(const Tensor& images, std::int64_t k) {
  const std::vector<double> all = images.to_vector();
  const std::int64_t n = images.numel() / images.size(0);
  return {all.begin() + k * n, all.begin() + (k + 1) * n};
}

// Image `index` shifted so out[c][y][x] = image[c][y + dy][x' + dx] (x' = W - 1 - x when mirrored),
// zero outside: the expected crop of the zero-padded image.
std::vector<double> shifted(const Dataset& set, std::int64_t index, std::int64_t dy,
                            std::int64_t dx, bool mirror) {
  const std::vector<double> image = set.images({index}).to_vector();
  const std::int64_t H = set.height, W = set.width;
  std::vector<double> out;
  for (std::int64_t c = 0; c < set.channels; ++c)
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x) {
        const std::int64_t sy = y + dy, sx = (mirror ? W - 1 - x : x) + dx;
        const bool inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
        out.push_back(inside ? image[std::size_t((c * H + sy) * W + sx)] : 0.0);
      }
  return out;
}

// The (dy, dx, mirror) within +-pad that turns image `index` into `got`, if any.
struct Shift {
  std::int64_t dy, dx;
  bool mirror;
};
std::optional<Shift> find_shift(const Dataset& set, std::int64_t index,
                                const std::vector<double>& got, std::int64_t pad) {
  for (const bool mirror : {false, true})
    for (std::int64_t dy = -pad; dy <= pad; ++dy)
      for (std::int64_t dx = -pad; dx <= pad; ++dx)
        if (shifted(set, index, dy, dx, mirror) == got) return Shift{dy, dx, mirror};
  return std::nullopt;
}

std::vector<std::int64_t> epoch_indices(const Loader& loader, std::int64_t epoch) {
  std::vector<std::int64_t> all;
  for (std::int64_t s = 0; s < loader.steps_per_epoch(); ++s) {
    const Batch b = loader.batch(epoch, s);
    all.insert(all.end(), b.indices.begin(), b.indices.end());
  }
  return all;
}

}  // namespace

TEST_CASE("loader: steps per epoch round up, or down with drop_last") {
  const Dataset set = distinct_images(10);
  CHECK(Loader(set, {.batch_size = 4}).steps_per_epoch() == 3);
  CHECK(Loader(set, {.batch_size = 4, .drop_last = true}).steps_per_epoch() == 2);
  CHECK(Loader(set, {.batch_size = 5, .drop_last = true}).steps_per_epoch() == 2);
  CHECK(Loader(set, {.batch_size = 11}).steps_per_epoch() == 1);
  CHECK(Loader(set, {.batch_size = 11, .drop_last = true}).steps_per_epoch() == 0);
}

TEST_CASE("loader: the last batch is partial unless dropped") {
  const Dataset set = distinct_images(10);
  const Loader loader(set, {.batch_size = 4});
  CHECK(loader.batch(0, 0).indices.size() == 4);
  const Batch last = loader.batch(0, 2);
  CHECK(last.indices.size() == 2);
  CHECK(last.images.shape() == Shape{2, 1, 5, 6});
  CHECK(last.labels.shape() == Shape{2});
  const Loader dropping(set, {.batch_size = 4, .drop_last = true});
  CHECK(dropping.batch(0, 1).indices.size() == 4);
  CHECK_THROWS_AS(dropping.batch(0, 2), IndexError);
}

TEST_CASE("loader: batch(epoch, step) is the same whenever and in whatever order it is asked for") {
  const Dataset set = distinct_images(23);
  const LoaderOptions options{
      .batch_size = 5, .augment = {.crop_padding = 2, .horizontal_flip = true}, .seed = 17};
  const Loader loader(set, options);
  const Batch late = loader.batch(3, 4);
  const Batch early = loader.batch(0, 1);
  const Loader fresh(set, options);
  CHECK(fresh.batch(0, 1).images.to_vector() == early.images.to_vector());
  CHECK(fresh.batch(3, 4).images.to_vector() == late.images.to_vector());
  CHECK(fresh.batch(3, 4).indices == late.indices);
  CHECK(loader.batch(3, 4).labels.to_vector() == late.labels.to_vector());
}

TEST_CASE("loader: threads asking for batches of different epochs get the serial answers") {
  const Dataset set = distinct_images(50);
  const Loader loader(set, {.batch_size = 7, .augment = {.crop_padding = 1}, .seed = 5});
  std::vector<std::vector<std::int64_t>> serial, threaded(4);
  for (std::int64_t epoch = 0; epoch < 4; ++epoch) serial.push_back(epoch_indices(loader, epoch));
  std::vector<std::thread> threads;
  for (std::int64_t epoch = 0; epoch < 4; ++epoch)
    threads.emplace_back([&, epoch] {
      for (int repeat = 0; repeat < 20; ++repeat)
        threaded[std::size_t(epoch)] = epoch_indices(loader, epoch);
    });
  for (std::thread& t : threads) t.join();
  CHECK(threaded == serial);
}

TEST_CASE("loader: an epoch visits every index exactly once and labels follow the indices") {
  const Dataset set = distinct_images(23);
  const Loader loader(set, {.batch_size = 4, .seed = 2});
  for (const std::int64_t epoch : {0, 1, 7}) {
    std::vector<std::int64_t> seen = epoch_indices(loader, epoch);
    std::sort(seen.begin(), seen.end());
    std::vector<std::int64_t> all(23);
    std::iota(all.begin(), all.end(), 0);
    CHECK(seen == all);
  }
  const Batch b = loader.batch(1, 2);
  CHECK(b.labels.to_vector() == set.labels_of(b.indices).to_vector());
}

TEST_CASE("loader: epochs and seeds shuffle differently; no shuffle keeps the dataset order") {
  const Dataset set = distinct_images(40);
  const Loader loader(set, {.batch_size = 8, .seed = 1});
  CHECK(epoch_indices(loader, 0) != epoch_indices(loader, 1));
  CHECK(epoch_indices(loader, 0) != epoch_indices(Loader(set, {.batch_size = 8, .seed = 2}), 0));
  std::vector<std::int64_t> identity(40);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(epoch_indices(loader, 0) != identity);
  const Loader ordered(set, {.batch_size = 8, .shuffle = false});
  CHECK(epoch_indices(ordered, 0) == identity);
  CHECK(epoch_indices(ordered, 5) == identity);
}

TEST_CASE("loader: without augmentation a batch holds the dataset's images") {
  const Dataset set = distinct_images(9, 3);
  const Loader loader(set, {.batch_size = 4, .seed = 4});
  for (std::int64_t s = 0; s < loader.steps_per_epoch(); ++s) {
    const Batch b = loader.batch(2, s);
    CHECK(b.images.to_vector() == set.images(b.indices).to_vector());
  }
}

TEST_CASE("loader: horizontal flip gives each image or its mirror, both within an epoch") {
  const Dataset set = distinct_images(32, 3);
  const Loader loader(set, {.batch_size = 8, .augment = {.horizontal_flip = true}, .seed = 3});
  int mirrored = 0, kept = 0;
  for (std::int64_t s = 0; s < loader.steps_per_epoch(); ++s) {
    const Batch b = loader.batch(0, s);
    for (std::int64_t k = 0; k < std::int64_t(b.indices.size()); ++k) {
      const std::vector<double> got = sample(b.images, k);
      const std::int64_t index = b.indices[std::size_t(k)];
      const bool is_mirror = got == shifted(set, index, 0, 0, true);
      CHECK((is_mirror || got == shifted(set, index, 0, 0, false)));
      (is_mirror ? mirrored : kept) += 1;
    }
  }
  CHECK(mirrored > 4);
  CHECK(kept > 4);
}

TEST_CASE("loader: random crops of the zero-padded image are shifts within the padding") {
  const Dataset set = distinct_images(40);
  const std::int64_t pad = 2;
  const Loader loader(set, {.batch_size = 16, .augment = {.crop_padding = pad}, .seed = 8});
  std::set<std::pair<std::int64_t, std::int64_t>> shifts;
  for (std::int64_t s = 0; s < loader.steps_per_epoch(); ++s) {
    const Batch b = loader.batch(1, s);
    CHECK(b.images.shape() == Shape{std::int64_t(b.indices.size()), 1, 5, 6});
    for (std::int64_t k = 0; k < std::int64_t(b.indices.size()); ++k) {
      const auto shift = find_shift(set, b.indices[std::size_t(k)], sample(b.images, k), pad);
      REQUIRE(shift.has_value());
      CHECK_FALSE(shift->mirror);
      shifts.insert({shift->dy, shift->dx});
    }
  }
  CHECK(shifts.size() > 10);  // of the 25 possible offsets
}

TEST_CASE("loader: crops and flips together stay within the padding, mirrored or not") {
  const Dataset set = distinct_images(20, 3);
  const Loader loader(set, {.batch_size = 20,
                            .augment = {.crop_padding = 1, .horizontal_flip = true}});
  const Batch b = loader.batch(0, 0);
  int mirrored = 0;
  for (std::int64_t k = 0; k < 20; ++k) {
    const auto shift = find_shift(set, b.indices[std::size_t(k)], sample(b.images, k), 1);
    REQUIRE(shift.has_value());
    mirrored += shift->mirror;
  }
  CHECK(mirrored > 0);
  CHECK(mirrored < 20);
}

TEST_CASE("loader: bad options are ValueErrors and bad epochs or steps IndexErrors") {
  const Dataset set = distinct_images(10);
  CHECK_THROWS_AS(Loader(set, {.batch_size = 0}), ValueError);
  CHECK_THROWS_AS(Loader(set, {.augment = {.crop_padding = -1}}), ValueError);
  CHECK_THROWS_AS(Loader(Dataset{}, {}), ValueError);
  const Loader loader(set, {.batch_size = 4});
  CHECK_THROWS_AS(loader.batch(-1, 0), IndexError);
  CHECK_THROWS_AS(loader.batch(0, -1), IndexError);
  CHECK_THROWS_AS(loader.batch(0, 3), IndexError);
}
