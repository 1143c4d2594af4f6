#pragma once
// The gradient through the ReLU of an op that applies one to its result (conv2d_scaled_relu,
// batch_norm_relu in eval mode), for its backward pass.
#include "engine/autograd.hpp"
#include "engine/gradient_rules.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"

namespace attrax::detail {

// dL/d(pre) for y = relu(pre) and dL/dy = g: g [y > 0] (y > 0 exactly where pre > 0), one loop
// without a tape, differentiable ops with one (the gate a constant: its derivative is 0). A
// GradientRules override of ReLU replaces it with the rule's value, given pre = recompute_pre(),
// which runs without a tape.
template <class RecomputePre>
Tensor relu_input_gradient(const char* op, const Tensor& g, const Tensor& y, RecomputePre recompute_pre) {
  const GradientRules* rules = active_gradient_rules();
  if (const GradientRule* rule = rules ? rules->find(Nonlinearity::Relu) : nullptr) {
    Tensor pre;
    {
      NoGradGuard no_grad;
      pre = recompute_pre();
    }
    return (*rule)(RuleContext{Nonlinearity::Relu, pre, y, g});
  }
  if (GradMode::enabled()) return g * step(y);
  return binary_map(op, g, y, [](auto gv, auto yv) { return yv > 0 ? gv : decltype(gv)(0); });
}

}  // namespace attrax::detail
