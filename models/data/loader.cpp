#include "models/data/loader.hpp"

#include <algorithm>
#include <mutex>
#include <numeric>

#include "engine/error.hpp"
#include "engine/random.hpp"

namespace attrax::data {

namespace {

void validate(const Dataset& dataset, const LoaderOptions& options) {
  if (options.batch_size < 1)
    throw ValueError("Loader: batch_size must be at least 1, got " +
                     std::to_string(options.batch_size));
  if (options.augment.crop_padding < 0)
    throw ValueError("Loader: crop_padding must be >= 0, got " +
                     std::to_string(options.augment.crop_padding));
  if (dataset.count < 1) throw ValueError("Loader: the dataset is empty");
}

// Fisher-Yates from the last position down: swap position i with a uniform j in [0, i].
std::vector<std::int64_t> shuffled_order(std::int64_t count, const LoaderOptions& options,
                                         std::int64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), std::int64_t(0));
  if (!options.shuffle) return order;
  Generator gen(options.seed, kShuffleStream + std::uint64_t(epoch));
  for (std::int64_t i = count - 1; i > 0; --i)
    std::swap(order[std::size_t(i)], order[std::size_t(gen.next_below(std::uint64_t(i) + 1))]);
  return order;
}

// Where the crop window sits in the zero-padded image, and whether the crop is mirrored.
struct Augmentation {
  std::int64_t dy = 0, dx = 0;
  bool flip = false;
};

// One draw per image: r in [0, (2p + 1)^2 * flips) split as r = (dy (2p + 1) + dx) flips + flip.
Augmentation draw_augmentation(const AugmentOptions& options, Generator& gen) {
  const std::uint64_t offsets = std::uint64_t(2 * options.crop_padding + 1);
  const std::uint64_t flips = options.horizontal_flip ? 2 : 1;
  std::uint64_t r = gen.next_below(offsets * offsets * flips);
  Augmentation a;
  a.flip = r % flips == 1;
  r /= flips;
  a.dx = std::int64_t(r % offsets);
  a.dy = std::int64_t(r / offsets);
  return a;
}

// out[c][y][x] = padded[c][y + dy][x' + dx] / 255 with x' = W - 1 - x when flipped (else x), where
// padded is the image with p zero pixels on every side: padded[c][y][x] = image[c][y - p][x - p].
void write_augmented(const Dataset& set, std::int64_t index, const Augmentation& a,
                     std::int64_t padding, float* out) {
  const std::int64_t H = set.height, W = set.width;
  const std::uint8_t* image = set.pixels.data() + index * set.channels * H * W;
  for (std::int64_t c = 0; c < set.channels; ++c)
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x) {
        const std::int64_t sy = y + a.dy - padding;
        const std::int64_t sx = (a.flip ? W - 1 - x : x) + a.dx - padding;
        const bool inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
        *out++ = inside ? float(image[(c * H + sy) * W + sx]) / 255.0f : 0.0f;
      }
}

}  // namespace

struct Loader::OrderCache {
  std::mutex mutex;
  std::int64_t epoch = -1;
  std::shared_ptr<const std::vector<std::int64_t>> order;
};

Loader::Loader(const Dataset& dataset, const LoaderOptions& options)
    : dataset_(dataset), options_(options), order_cache_(std::make_shared<OrderCache>()) {
  validate(dataset, options);
}

std::shared_ptr<const std::vector<std::int64_t>> Loader::epoch_order(std::int64_t epoch) const {
  const std::lock_guard<std::mutex> lock(order_cache_->mutex);
  if (order_cache_->epoch != epoch) {
    order_cache_->order = std::make_shared<const std::vector<std::int64_t>>(
        shuffled_order(dataset_.count, options_, epoch));
    order_cache_->epoch = epoch;
  }
  return order_cache_->order;
}

// ceil(count / batch), or floor(count / batch) when the last partial batch is dropped.
std::int64_t Loader::steps_per_epoch() const {
  const std::int64_t count = dataset_.count, batch = options_.batch_size;
  return options_.drop_last ? count / batch : (count + batch - 1) / batch;
}

Batch Loader::batch(std::int64_t epoch, std::int64_t step) const {
  if (epoch < 0 || step < 0 || step >= steps_per_epoch())
    throw IndexError("Loader::batch: epoch " + std::to_string(epoch) + " step " +
                     std::to_string(step) + " is outside epochs >= 0 and steps 0.." +
                     std::to_string(steps_per_epoch() - 1));
  const std::int64_t first = step * options_.batch_size;
  const std::int64_t last = std::min(first + options_.batch_size, dataset_.count);
  const std::shared_ptr<const std::vector<std::int64_t>> order = epoch_order(epoch);
  Batch batch;
  batch.epoch = epoch;
  batch.step = step;
  batch.indices.assign(order->begin() + first, order->begin() + last);
  const std::int64_t n = last - first;
  batch.images = Tensor::empty({n, dataset_.channels, dataset_.height, dataset_.width});
  // Sample k of the batch reads the 4-word block numbered by its slot in the whole run,
  // epoch * count + first + k, so every slot has its own draw.
  Generator gen(options_.seed, kAugmentStream);
  gen.set_offset(4 * std::uint64_t(epoch * dataset_.count + first));
  const std::int64_t image_size = dataset_.channels * dataset_.height * dataset_.width;
  for (std::int64_t k = 0; k < n; ++k)
    write_augmented(dataset_, batch.indices[std::size_t(k)],
                    draw_augmentation(options_.augment, gen), options_.augment.crop_padding,
                    batch.images.data<float>() + k * image_size);
  batch.labels = dataset_.labels_of(batch.indices);
  return batch;
}

}  // namespace attrax::data
