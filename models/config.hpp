#pragma once
// ModelConfig: everything that defines a model's architecture, stored in a model file's metadata
// (key "attrax", a JSON string) so one file fully describes its model.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attrax::models {

struct ModelConfig {
  std::string arch = "resnet";     // resnet | preact_resnet | rar_cnn | mlp
  std::int64_t depth = 8;          // resnet, preact_resnet: 6n + 2; mlp: hidden layers
  std::int64_t width = 16;         // resnet, preact_resnet: first stage channels; mlp: hidden units
  std::int64_t in_channels = 1;
  std::int64_t num_classes = 10;
  std::int64_t input_size = 28;    // square input side (rar_cnn and mlp depend on it)
  std::string activation = "relu"; // nn::ActivationSpec::parse syntax
  std::vector<double> mean = {0.2860};  // per-channel input normalisation (Fashion-MNIST's)
  std::vector<double> std = {0.3530};

  // Throws ValueError naming the field for an unknown arch, a depth that is not 6n + 2 for the
  // ResNets, non-positive sizes, mean/std lengths != in_channels, a non-finite mean or a std that
  // is not finite and > 0, or an unknown activation.
  void validate() const;
  // "resnet8 (16 wide, 1x28x28 -> 10 classes, relu)"
  std::string summary() const;
};

void to_json(nlohmann::json& j, const ModelConfig& config);
// Missing keys keep their defaults except arch, which is required; wrong types throw ValueError.
void from_json(const nlohmann::json& j, ModelConfig& config);

}  // namespace attrax::models
