#include "engine/ops/activation.hpp"

#include <cmath>

#include "engine/autograd.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"

namespace attrax {

using detail::unary_map;

namespace {

RecordOptions nonlinearity(Nonlinearity kind, const Tensor& x) {
  return {.save_output = true, .nonlinearity = kind, .nonlinearity_input = x};
}

}  // namespace

// y = max(x, 0):  dx = g [x > 0]   (the mask is constant, so d²y/dx² = 0)
Tensor relu(const Tensor& x) {
  Tensor y = unary_map("relu", x, [](auto v) { return v > 0 ? v : decltype(v)(0); });
  return record("relu", y, {x}, [x](const Tensor& g, const BackwardContext&) -> Grads {
    // Unrecorded passes take one fused loop; recorded ones keep g as a differentiable factor.
    if (!GradMode::enabled())
      return {detail::binary_map("relu", g, x, [](auto gv, auto xv) { return xv > 0 ? gv : decltype(gv)(0); })};
    return {g * step(x)};
  }, nonlinearity(Nonlinearity::Relu, x));
}

// y = x [x > 0] + slope x [x <= 0]:  dx = g (slope + (1 - slope) [x > 0])
Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor y = unary_map("leaky_relu", x, [slope](auto v) { return v > 0 ? v : decltype(v)(slope) * v; });
  return record("leaky_relu", y, {x}, [x, slope](const Tensor& g, const BackwardContext&) -> Grads {
    return {g * (step(x) * (1.0 - slope) + slope)};
  }, nonlinearity(Nonlinearity::LeakyRelu, x));
}

// y = log(1 + e^(βx)) / β  (x where βx > threshold):  dx = g σ(βx)
Tensor softplus(const Tensor& x, double beta, double threshold) {
  if (!(beta > 0)) throw ValueError("softplus: beta must be positive, got " + std::to_string(beta));
  Tensor y = unary_map("softplus", x, [beta, threshold](auto v) {
    using T = decltype(v);
    const T z = T(beta) * v;
    return z > T(threshold) ? v : std::log1p(std::exp(z)) / T(beta);
  });
  return record("softplus", y, {x}, [x, beta](const Tensor& g, const BackwardContext&) -> Grads {
    return {g * sigmoid(x * beta)};
  }, nonlinearity(Nonlinearity::Softplus, x));
}

// y = 1 / (1 + e^-x):  dx = g y (1 - y)
Tensor sigmoid(const Tensor& x) {
  Tensor y = unary_map("sigmoid", x, [](auto v) {
    using T = decltype(v);
    // Evaluated on the side where the exponential cannot overflow.
    return v >= 0 ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
  });
  return record("sigmoid", y, {x}, [](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const Tensor out = ctx.output();
    return {g * out * (1.0 - out)};
  }, nonlinearity(Nonlinearity::Sigmoid, x));
}

// y = tanh x:  dx = g (1 - y²)
Tensor tanh(const Tensor& x) {
  Tensor y = unary_map("tanh", x, [](auto v) { return std::tanh(v); });
  return record("tanh", y, {x}, [](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const Tensor out = ctx.output();
    return {g * (1.0 - out * out)};
  }, nonlinearity(Nonlinearity::Tanh, x));
}

}  // namespace attrax
