#include "models/classifier.hpp"

#include <string>

#include "engine/error.hpp"

namespace attrax::models {

Classifier::Classifier(ModelConfig config) : config_(std::move(config)) {
  config_.validate();
  normalize_ = &register_module("normalize",
                                std::make_unique<nn::Normalize>(config_.mean, config_.std));
}

Tensor Classifier::forward(const Tensor& x) {
  const std::string expected = "[N, " + std::to_string(config_.in_channels) + ", " +
                               (fixed_input_size() ? std::to_string(config_.input_size) : "H") +
                               ", " +
                               (fixed_input_size() ? std::to_string(config_.input_size) : "W") + "]";
  const bool channels_ok = x.rank() == 4 && x.size(1) == config_.in_channels;
  const bool size_ok = !fixed_input_size() || (x.rank() == 4 && x.size(2) == config_.input_size &&
                                               x.size(3) == config_.input_size);
  if (!channels_ok || !size_ok)
    throw ShapeError(config_.summary() + ": expects images " + expected + ", got " +
                     x.shape().str());
  return logits((*normalize_)(x));
}

}  // namespace attrax::models
