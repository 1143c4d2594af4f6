#pragma once
// The model registry: names -> configurations -> models.
//   resnet8, resnet14, resnet20, resnet32, resnet44, resnet56   CIFAR-style ResNet-(6n+2)
//   preact_resnet8, preact_resnet20, ...                          pre-activation ResNet
//   rar_cnn                                                       the RAR small CNN
//   mlp                                                           2 hidden layers of 256
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/classifier.hpp"

namespace attrax::models {

// The registered names, for help texts and errors.
std::vector<std::string> model_names();

// The default configuration of a registered name (1x28x28 input, 10 classes, ReLU); the caller
// adjusts in_channels, input_size, num_classes, mean/std to its data. ValueError listing the names
// for an unknown one.
ModelConfig config_for(const std::string& name);

// Builds the architecture of `config` (validated) with weights initialised from
// Generator(seed, kInitStream): the same config and seed give the same weights everywhere.
std::unique_ptr<Classifier> create_model(const ModelConfig& config, std::uint64_t seed = 0);

// The same architecture with another activation ("softplus:10", "leaky_softplus:0.1:10") holding the
// very tensors of `model`: the smooth twin that attribution attacks and robust-attribution training
// differentiate, while updates to either model's weights are seen by both.
std::unique_ptr<Classifier> activation_twin(const Classifier& model, const std::string& activation);

// The generator stream reserved for weight initialisation.
inline constexpr std::uint64_t kInitStream = 0x494e4954;  // "INIT"

}  // namespace attrax::models
