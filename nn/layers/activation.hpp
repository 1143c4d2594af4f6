#pragma once
// The nonlinearity of a model as one switchable layer, so a model built with ReLU can run as its
// smooth *softplus twin* (same weights) for attribution attacks and robust-attribution training.
#include <string>

#include "nn/module.hpp"

namespace attrax::nn {

struct ActivationSpec {
  enum class Kind { Relu, LeakyRelu, Softplus, LeakySoftplus };
  Kind kind = Kind::Relu;
  double slope = 0.01;  // LeakyRelu, LeakySoftplus: the linear part's weight
  double beta = 1.0;    // Softplus, LeakySoftplus

  // "relu", "leaky_relu" or "leaky_relu:0.1", "softplus" or "softplus:10",
  // "leaky_softplus:0.1" or "leaky_softplus:0.1:10" (slope then beta). ValueError otherwise.
  static ActivationSpec parse(const std::string& text);
  // The inverse of parse: "relu", "leaky_relu:0.1", "softplus:10", "leaky_softplus:0.1:1".
  std::string str() const;
};

// relu(x); leaky_relu(x, slope); softplus(x, beta) = log(1 + exp(βx)) / β;
// leaky softplus = slope·x + (1 − slope)·softplus(x, β) (the smooth twin of leaky ReLU).
Tensor apply_activation(const ActivationSpec& spec, const Tensor& x);

class Activation : public Module {
 public:
  explicit Activation(ActivationSpec spec = {}) : spec_(spec) {}
  Tensor forward(const Tensor& x) override { return apply_activation(spec_, x); }
  std::string describe() const override;

  const ActivationSpec& spec() const { return spec_; }
  void set_spec(const ActivationSpec& spec) { spec_ = spec; }

 private:
  ActivationSpec spec_;
};

// Sets every Activation layer under `root` to `spec`.
void set_activation(Module& root, const ActivationSpec& spec);

}  // namespace attrax::nn
