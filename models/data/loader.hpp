#pragma once
// Mini-batches of a Dataset as a pure function of (epoch, step): the epoch's order is a permutation
// drawn from Generator(seed, stream kShuffleStream + epoch), and the augmentation of a batch from
// Generator(seed, kAugmentStream) at an offset fixed by (epoch, step). A run resumed at any step
// therefore sees exactly the batches an uninterrupted run would, at any thread count.
#include <cstdint>
#include <vector>

#include "models/data/dataset.hpp"

namespace attrax::data {

struct AugmentOptions {
  std::int64_t crop_padding = 0;  // random crop of the image zero-padded by this many pixels
  bool horizontal_flip = false;   // flip with probability 1/2
};

struct LoaderOptions {
  std::int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;         // as torch.utils.data.DataLoader
  AugmentOptions augment;
  std::uint64_t seed = 0;
};

struct Batch {
  Tensor images;                     // float32 [n, C, H, W] in [0, 1]
  Tensor labels;                     // int64 [n]
  std::vector<std::int64_t> indices; // positions in the dataset
};

class Loader {
 public:
  // Throws ValueError for batch_size < 1, negative padding, or an empty dataset.
  Loader(const Dataset& dataset, const LoaderOptions& options);

  std::int64_t steps_per_epoch() const;
  // Batch `step` (0 <= step < steps_per_epoch()) of `epoch` (>= 0); IndexError otherwise.
  Batch batch(std::int64_t epoch, std::int64_t step) const;

 private:
  const Dataset& dataset_;
  LoaderOptions options_;
};

}  // namespace attrax::data
