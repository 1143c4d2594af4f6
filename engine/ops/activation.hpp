#pragma once
// Nonlinearities. Each records its node as overridable by a GradientRules scope (gradient_rules.hpp).
#include "engine/tensor.hpp"

namespace attrax {

// max(x, 0); dy/dx = 1 where x > 0 (0 at x = 0, as PyTorch), and its second derivative is zero.
Tensor relu(const Tensor& x);
// x for x > 0, slope * x otherwise.
Tensor leaky_relu(const Tensor& x, double slope = 0.01);
// log(1 + exp(beta x)) / beta, and x where beta x > threshold (as PyTorch); dy/dx = sigmoid(beta x).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
// 1 / (1 + exp(-x))
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

}  // namespace attrax
