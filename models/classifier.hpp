#pragma once
// Classifier: the base of every model in the registry. It takes [0, 1] pixels, normalises them with
// its first layer ("normalize", no state_dict entries), and returns logits; its config() is what a
// model file stores next to the weights.
#include <memory>

#include "models/config.hpp"
#include "nn/layers/normalize.hpp"
#include "nn/module.hpp"

namespace attrax::models {

class Classifier : public nn::Module {
 public:
  explicit Classifier(ModelConfig config);
  // x: [N, in_channels, H, W] in [0, 1] -> logits [N, num_classes]. ShapeError naming the expected
  // input when the channels (or, for fixed-size models, the side) differ.
  Tensor forward(const Tensor& x) final;
  const ModelConfig& config() const { return config_; }

 protected:
  // The network after normalisation: z = (x − mean) / std -> logits.
  virtual Tensor logits(const Tensor& z) = 0;
  // Whether the model needs exactly input_size x input_size inputs (fully connected on pixels).
  virtual bool fixed_input_size() const { return false; }

 private:
  ModelConfig config_;
  nn::Normalize* normalize_;
};

}  // namespace attrax::models
