#include "models/small_nets.hpp"

namespace attrax::models {

namespace {

nn::Conv2dSpec same_conv(std::int64_t in, std::int64_t out, std::int64_t kernel) {
  return {.in_channels = in, .out_channels = out, .kernel = kernel, .padding = kernel / 2};
}

// Applies each layer to the previous one's output.
Tensor run_layers(const std::vector<nn::Module*>& layers, const Tensor& x) {
  Tensor a = x;
  for (nn::Module* layer : layers) a = (*layer)(a);
  return a;
}

}  // namespace

RarCnn::RarCnn(const ModelConfig& config, Generator& gen) : Classifier(config) {
  const nn::ActivationSpec act = nn::ActivationSpec::parse(config.activation);
  const std::int64_t pooled = config.input_size / 2 / 2;
  // Flat modules named as the paper's layers, run in this order by logits().
  const auto add = [&](const char* name, auto layer) {
    layers_.push_back(&register_module(name, std::move(layer)));
  };
  add("conv1", std::make_unique<nn::Conv2d>(same_conv(config.in_channels, 32, 5), gen));
  add("relu1", std::make_unique<nn::Activation>(act));
  add("pool1", std::make_unique<nn::MaxPool2d>(2));
  add("conv2", std::make_unique<nn::Conv2d>(same_conv(32, 64, 5), gen));
  add("relu2", std::make_unique<nn::Activation>(act));
  add("pool2", std::make_unique<nn::MaxPool2d>(2));
  add("flatten", std::make_unique<nn::Flatten>());
  add("fc1", std::make_unique<nn::Linear>(64 * pooled * pooled, 1024, gen));
  add("relu3", std::make_unique<nn::Activation>(act));
  add("fc2", std::make_unique<nn::Linear>(1024, config.num_classes, gen));
}

Tensor RarCnn::logits(const Tensor& z) { return run_layers(layers_, z); }

Mlp::Mlp(const ModelConfig& config, Generator& gen) : Classifier(config) {
  const nn::ActivationSpec act = nn::ActivationSpec::parse(config.activation);
  layers_.push_back(&register_module("flatten", std::make_unique<nn::Flatten>()));
  std::int64_t features = config.in_channels * config.input_size * config.input_size;
  for (std::int64_t i = 1; i <= config.depth; ++i) {
    layers_.push_back(&register_module("fc" + std::to_string(i),
                                       std::make_unique<nn::Linear>(features, config.width, gen)));
    layers_.push_back(&register_module("relu" + std::to_string(i),
                                       std::make_unique<nn::Activation>(act)));
    features = config.width;
  }
  layers_.push_back(&register_module("fc" + std::to_string(config.depth + 1),
                                     std::make_unique<nn::Linear>(features, config.num_classes, gen)));
}

Tensor Mlp::logits(const Tensor& z) { return run_layers(layers_, z); }

}  // namespace attrax::models
