#pragma once
// Mini-batches of a Dataset as a pure function of (epoch, step): the epoch's order is a permutation
// drawn from Generator(seed, stream kShuffleStream + epoch), and the augmentation of a batch from
// Generator(seed, kAugmentStream) at an offset fixed by (epoch, step). A run resumed at any step
// therefore sees exactly the batches an uninterrupted run would, at any thread count.
#include <cstdint>
#include <memory>
#include <vector>

#include "models/data/dataset.hpp"

namespace attrax::data {

// Generator streams of the loader, far from the small stream numbers other code uses.
inline constexpr std::uint64_t kShuffleStream = 0x5348554646000000;  // "SHUFF", plus the epoch
inline constexpr std::uint64_t kAugmentStream = 0x4155474d;          // "AUGM"

struct AugmentOptions {
  std::int64_t crop_padding = 0;  // random crop of the image zero-padded by this many pixels
  bool horizontal_flip = false;   // flip with probability 1/2
};

struct LoaderOptions {
  std::int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;         // as torch.utils.data.DataLoader
  AugmentOptions augment{};
  std::uint64_t seed = 0;
};

struct Batch {
  Tensor images;                     // float32 [n, C, H, W] in [0, 1]
  Tensor labels;                     // int64 [n]
  std::vector<std::int64_t> indices; // positions in the dataset
  std::int64_t epoch = 0, step = 0;  // where the loader drew it (seeds per-batch randomness)
};

class Loader {
 public:
  // Keeps a reference to `dataset`, which must outlive the loader. Throws ValueError for
  // batch_size < 1, negative padding, or an empty dataset.
  Loader(const Dataset& dataset, const LoaderOptions& options);

  std::int64_t steps_per_epoch() const;
  // Batch `step` (0 <= step < steps_per_epoch()) of `epoch` (>= 0); IndexError otherwise. Each
  // image is cropped, then flipped; sample k draws from the augmentation stream's 4-word block
  // number epoch * count + step * batch_size + k.
  Batch batch(std::int64_t epoch, std::int64_t step) const;

 private:
  // The order of the epoch last asked for, computed once per epoch and shared by copies of the
  // loader; a cache only, so batch() stays a pure function of (epoch, step).
  struct OrderCache;
  std::shared_ptr<const std::vector<std::int64_t>> epoch_order(std::int64_t epoch) const;

  const Dataset& dataset_;
  LoaderOptions options_;
  std::shared_ptr<OrderCache> order_cache_;
};

}  // namespace attrax::data
