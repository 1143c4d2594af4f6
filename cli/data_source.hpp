#pragma once
// The --data option of the commands:
//   fmnist[:DIR]             Fashion-MNIST (Debian's dataset-fashion-mnist, or the IDX files in DIR);
//                            the train split for training, the test split for evaluation
//   idx:IMAGES,LABELS        any IDX image/label pair (e.g. MNIST), plain or .gz
//   folder:ROOT              one subfolder per class, PNG/JPEG/BMP, resized to --size (default 32)
//   shapes[:COUNT]           the synthetic shapes dataset (default 6000 training / 1000 test images);
//                            training and evaluation use different seeds, so they never overlap
#include <cstdint>
#include <string>

#include "models/data/dataset.hpp"

namespace attrax::cli {

enum class DataPurpose { Train, Evaluate };

struct DataRequest {
  std::string spec = "fmnist";
  DataPurpose purpose = DataPurpose::Train;
  std::int64_t size = 32;      // folder and shapes: square side
  std::int64_t channels = 3;   // folder and shapes: 1 or 3
};

// Loads the dataset; UsageError for a spec of unknown form, FileError / ValueError from the loaders.
data::Dataset load_data(const DataRequest& request);

}  // namespace attrax::cli
