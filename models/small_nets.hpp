#pragma once
// The small networks of the robust-attribution papers.
//
// RarCnn, the MNIST / Fashion-MNIST model of Chen et al. 2019 (RAR): conv1 5x5 -> 32 ("same"
// padding) - act - 2x2 max pool - conv2 5x5 -> 64 - act - 2x2 max pool - flatten - fc1 -> 1024 - act
// - fc2 -> classes. Convolutions and linear layers keep PyTorch's default initialisation and biases.
//
// Mlp: flatten - (fc<i> -> width - act) x depth - fc<depth+1> -> classes.
#include "engine/random.hpp"
#include "models/classifier.hpp"
#include "nn/nn.hpp"

namespace attrax::models {

class RarCnn : public Classifier {
 public:
  RarCnn(const ModelConfig& config, Generator& gen);
  std::string describe() const override { return "RarCnn(" + config().summary() + ")"; }

 protected:
  Tensor logits(const Tensor& z) override;
  bool fixed_input_size() const override { return true; }

 private:
  std::vector<nn::Module*> layers_;
};

class Mlp : public Classifier {
 public:
  Mlp(const ModelConfig& config, Generator& gen);
  std::string describe() const override { return "Mlp(" + config().summary() + ")"; }

 protected:
  Tensor logits(const Tensor& z) override;
  bool fixed_input_size() const override { return true; }

 private:
  std::vector<nn::Module*> layers_;
};

}  // namespace attrax::models
