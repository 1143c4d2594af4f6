#pragma once
// Model files: safetensors holding the state_dict under PyTorch's names plus, in "__metadata__",
// key "attrax" = the ModelConfig as a JSON string. One file fully describes a model.
//
// Training checkpoints are model files with more in them: the optimizer's state as tensors named
// "optimizer.<name>" and the training progress as the metadata key "attrax_train" (a JSON string).
// load_model reads both kinds and ignores the training part.
#include <memory>
#include <string>
#include <vector>

#include "models/classifier.hpp"

namespace attrax::models {

struct ModelFileContents {
  std::unique_ptr<Classifier> model;
  std::vector<nn::NamedTensor> optimizer_state;  // names without the "optimizer." prefix
  std::string train_state;                       // "attrax_train" metadata, empty if none
};

// Writes atomically. `optimizer_state` and `train_state` are for checkpoints (empty for a model).
void save_model(const std::string& path, const Classifier& model,
                const std::vector<nn::NamedTensor>& optimizer_state = {},
                const std::string& train_state = "");

// Reads a model file or checkpoint. FileError naming the file when the metadata has no "attrax"
// key, its JSON is malformed or the config is invalid, or a tensor is missing, unexpected or of the
// wrong shape (num_batches_tracked may be absent, as in files from older PyTorch versions).
ModelFileContents load_model_file(const std::string& path);
std::unique_ptr<Classifier> load_model(const std::string& path);

}  // namespace attrax::models
