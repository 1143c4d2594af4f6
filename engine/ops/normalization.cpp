#include "engine/ops/normalization.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "engine/autograd.hpp"
#include "engine/gradient_rules.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/reduction.hpp"
#include "engine/ops/relu_gradient.hpp"

namespace attrax {

namespace {

// How x: [N,C,H,W] or [N,C] splits around its channel axis.
struct ChannelLayout {
  kernels::AxisGeometry geometry;          // [N, C, H*W]
  Axes axes;                               // the axes statistics reduce over: {0, 2, 3} or {0}
  Shape per_channel;                       // [1,C,1,1] or [1,C]: a [C] vector broadcast against x
};

ChannelLayout channel_layout(const Tensor& x) {
  const std::int64_t C = x.size(1);
  if (x.rank() == 2) return {{x.size(0), C, 1}, {0}, {1, C}};
  return {{x.size(0), C, x.size(2) * x.size(3)}, {0, 2, 3}, {1, C, 1, 1}};
}

// Throws unless p (when defined) is a [C] vector of x's dtype.
void check_per_channel(const Tensor& x, const Tensor& p, const char* role) {
  if (!p.defined()) return;
  detail::check_floating("batch_norm", p, role);
  if (p.dtype() != x.dtype()) {
    throw DTypeError(std::string("batch_norm: ") + role + " " + detail::describe(p) +
                     " must have the dtype of the input " + detail::describe(x));
  }
  if (!(p.shape() == Shape{x.size(1)})) {
    throw ShapeError(std::string("batch_norm: ") + role + " must have shape [" +
                     std::to_string(x.size(1)) + "] (the channels of input " + x.shape().str() +
                     "), got " + p.shape().str());
  }
}

void check_inputs(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormOptions& options) {
  detail::check_floating("batch_norm", x);
  if (x.rank() != 2 && x.rank() != 4) {
    throw ShapeError("batch_norm: input must be [N,C] or [N,C,H,W], got shape " + x.shape().str());
  }
  check_per_channel(x, gamma, "gamma");
  check_per_channel(x, beta, "beta");
  check_per_channel(x, running_mean, "running_mean");
  check_per_channel(x, running_var, "running_var");
  if (!(options.eps >= 0)) {
    throw ValueError("batch_norm: eps must be non-negative, got " + std::to_string(options.eps));
  }
  if (!(options.momentum >= 0 && options.momentum <= 1)) {
    throw ValueError("batch_norm: momentum must lie in [0, 1], got " + std::to_string(options.momentum));
  }
}

// Per channel: invstd = 1 / sqrt(var + eps) and batch norm as an affine map y = x scale + shift,
// scale = gamma invstd, shift = beta - mean scale (gamma = 1, beta = 0 when undefined).
struct Affine {
  Tensor invstd, scale, shift;
};

Affine affine_of(const Tensor& mean, const Tensor& var, const Tensor& gamma, const Tensor& beta, double eps) {
  const std::int64_t C = mean.numel();
  Affine out{Tensor::empty({C}, mean.dtype()), Tensor::empty({C}, mean.dtype()), Tensor::empty({C}, mean.dtype())};
  visit_floating(mean.dtype(), "batch_norm", [&]<class T>() {
    T* invstd = out.invstd.data<T>();
    for (std::int64_t c = 0; c < C; ++c) {
      invstd[c] = T(1) / std::sqrt(var.data<T>()[c] + T(eps));
      out.scale.data<T>()[c] = (gamma.defined() ? gamma.data<T>()[c] : T(1)) * invstd[c];
      out.shift.data<T>()[c] = (beta.defined() ? beta.data<T>()[c] : T(0)) - mean.data<T>()[c] * out.scale.data<T>()[c];
    }
  });
  return out;
}

// x scale + shift through the fused kernel.
Tensor apply_affine(const Tensor& x, const ChannelLayout& layout, const Affine& affine) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  visit_floating(x.dtype(), "batch_norm", [&]<class T>() {
    kernels::batch_norm_apply(layout.geometry, x.data<T>(), affine.scale.data<T>(), affine.shift.data<T>(), y.data<T>());
  });
  return y;
}

// running = (1 - m) running + m batch, with the variance made unbiased (× n / (n - 1)); in place.
void update_running(Tensor& running_mean, Tensor& running_var, const Tensor& mean,
                    const Tensor& var, double momentum, std::int64_t count) {
  const double unbias = double(count) / double(count - 1);
  visit_floating(mean.dtype(), "batch_norm", [&]<class T>() {
    for (std::int64_t c = 0; c < mean.numel(); ++c) {
      if (running_mean.defined()) {
        T& r = running_mean.data<T>()[c];
        r = T((1 - momentum) * r + momentum * mean.data<T>()[c]);
      }
      if (running_var.defined()) {
        T& r = running_var.data<T>()[c];
        r = T((1 - momentum) * r + momentum * unbias * var.data<T>()[c]);
      }
    }
  });
}

// Where the fused backward kernel finds the gate of a ReLU after batch norm (kernels::ReluGate):
// output, the ReLU's output, or undefined (the gate recomputed from x with scale and shift);
// gated_grad, when defined, receives the gated gradient.
struct TensorGate {
  Tensor output, scale, shift, gated_grad;
};

// The training-mode VJP through the fused kernel (values only, no tape): {dx, dgamma, dbeta}.
Grads fused_backward(const ChannelLayout& layout, const Tensor& x, const Tensor& g, const Tensor& mean,
                     const Tensor& invstd, const Tensor& gamma, const TensorGate* gate = nullptr) {
  const std::int64_t C = layout.geometry.axis;
  Grads grads{Tensor::empty(x.shape(), x.dtype()), Tensor::empty({C}, x.dtype()), Tensor::empty({C}, x.dtype())};
  visit_floating(x.dtype(), "batch_norm", [&]<class T>() {
    const auto data = [](const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; };
    kernels::ReluGate<T> relu_gate;
    if (gate) {
      Tensor gated_grad = gate->gated_grad;  // a handle sharing the storage it writes
      relu_gate = {data(gate->output), data(gate->scale), data(gate->shift),
                   gated_grad.defined() ? gated_grad.data<T>() : nullptr};
    }
    kernels::batch_norm_backward(layout.geometry, x.data<T>(), g.data<T>(), mean.data<T>(), invstd.data<T>(),
                                 data(gamma), grads[0].data<T>(), grads[1].data<T>(), grads[2].data<T>(),
                                 gate ? &relu_gate : nullptr);
  });
  return grads;
}

// Batch statistics of x (count = N·H·W values per channel, more than one), with the running ones
// updated.
struct BatchStatistics {
  Tensor mean, var;
};
BatchStatistics batch_statistics(const Tensor& x, const ChannelLayout& layout, Tensor& running_mean,
                                 Tensor& running_var, const BatchNormOptions& options) {
  const std::int64_t count = layout.geometry.outer * layout.geometry.inner;
  if (count <= 1) {
    throw ShapeError("batch_norm: expected more than 1 value per channel when training, got input " +
                     x.shape().str() + " (N*H*W = " + std::to_string(count) +
                     "); use a larger batch or eval mode");
  }
  const std::int64_t C = layout.geometry.axis;
  BatchStatistics stats{Tensor::empty({C}, x.dtype()), Tensor::empty({C}, x.dtype())};
  visit_floating(x.dtype(), "batch_norm", [&]<class T>() {
    kernels::batch_norm_statistics(layout.geometry, x.data<T>(), stats.mean.data<T>(), stats.var.data<T>());
  });
  update_running(running_mean, running_var, stats.mean, stats.var, options.momentum, count);
  return stats;
}

// The training-mode VJP as differentiable ops, for recorded passes (create_graph); the fused kernel
// gives the same values. With xhat = (x - mean) invstd recomputed from x:
//   dx = gamma invstd (g - mean(g) - xhat mean(g xhat)),  dgamma = Σ g xhat,  dbeta = Σ g
Grads recorded_train_backward(const ChannelLayout& layout, const Tensor& x, const Tensor& gamma, double eps,
                              const Tensor& g, const BackwardContext& ctx) {
  const Axes& axes = layout.axes;
  Grads grads(3);
  if (ctx.needs_input_grad(2)) grads[2] = sum(g, axes);
  if (!ctx.needs_input_grad(0) && !ctx.needs_input_grad(1)) return grads;
  const Tensor centered = x - mean(x, axes, true);
  const Tensor invstd = pow(mean(centered * centered, axes, true) + eps, -0.5);
  const Tensor xhat = centered * invstd;
  if (ctx.needs_input_grad(1)) grads[1] = sum(g * xhat, axes);
  if (ctx.needs_input_grad(0)) {
    const Tensor gain = gamma.defined() ? gamma.reshape(layout.per_channel) * invstd : invstd;
    grads[0] = gain * (g - mean(g, axes, true) - xhat * mean(g * xhat, axes, true));
  }
  return grads;
}

// Training: batch statistics.
Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                        Tensor& running_mean, Tensor& running_var, const BatchNormOptions& options) {
  const ChannelLayout layout = channel_layout(x);
  const BatchStatistics stats = batch_statistics(x, layout, running_mean, running_var, options);
  const Affine affine = affine_of(stats.mean, stats.var, gamma, beta, options.eps);
  return record("batch_norm", apply_affine(x, layout, affine), {x, gamma, beta},
                [x, gamma, layout, batch_mean = stats.mean, invstd = affine.invstd,
                 eps = options.eps](const Tensor& g, const BackwardContext& ctx) -> Grads {
    // A pass that is not itself recorded takes the fused two-pass kernel; a recorded one (create_graph)
    // the composition of differentiable ops, which gives the same values.
    if (!GradMode::enabled()) return fused_backward(layout, x, g, batch_mean, invstd, gamma);
    return recorded_train_backward(layout, x, gamma, eps, g, ctx);
  });
}

// Eval: running statistics, constant in x, so y is affine in x, gamma and beta:
//   dx = g gamma invstd,  dgamma = Σ g (x - mean) invstd,  dbeta = Σ g
// Throws unless eval mode has its running statistics.
void require_running_statistics(const Tensor& running_mean, const Tensor& running_var) {
  if (!running_mean.defined() || !running_var.defined()) {
    throw Error(std::string("batch_norm: eval mode normalises with running_mean and running_var, "
                            "but ") + (running_mean.defined() ? "running_var" : "running_mean") +
                " is undefined");
  }
}

// The eval-mode VJP for output gradient g: {dx, dgamma, dbeta} (differentiable ops)
//   dx = g γ invstd,   dγ = Σ g (x − μ) invstd,   dβ = Σ g
Grads eval_backward(const ChannelLayout& layout, const Tensor& x, const Tensor& gamma, const Tensor& frozen_mean,
                    const Tensor& invstd_c, const Tensor& g, const BackwardContext& ctx) {
  const Tensor invstd = invstd_c.reshape(layout.per_channel);
  Grads grads(3);
  if (ctx.needs_input_grad(0))
    grads[0] = g * (gamma.defined() ? gamma.reshape(layout.per_channel) * invstd : invstd);
  if (ctx.needs_input_grad(1))
    grads[1] = sum(g * ((x - frozen_mean.reshape(layout.per_channel)) * invstd), layout.axes);
  if (ctx.needs_input_grad(2)) grads[2] = sum(g, layout.axes);
  return grads;
}

Tensor batch_norm_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       const Tensor& running_mean, const Tensor& running_var,
                       const BatchNormOptions& options) {
  require_running_statistics(running_mean, running_var);
  const ChannelLayout layout = channel_layout(x);
  const Tensor frozen_mean = running_mean.clone();
  const Affine affine = affine_of(frozen_mean, running_var, gamma, beta, options.eps);
  return record("batch_norm", apply_affine(x, layout, affine), {x, gamma, beta},
                [x, gamma, layout, frozen_mean, invstd = affine.invstd](const Tensor& g, const BackwardContext& ctx) {
    return eval_backward(layout, x, gamma, frozen_mean, invstd, g, ctx);
  });
}

// The rule a GradientRuleScope sets for ReLU, or null.
const GradientRule* relu_rule() {
  const GradientRules* rules = active_gradient_rules();
  return rules ? rules->find(Nonlinearity::Relu) : nullptr;
}

// relu(batch_norm(x) + residual) with batch statistics (see the header): the forward kernel writes y
// alone; the backward kernel takes the ReLU's gate inside batch norm's two passes.
Tensor batch_norm_relu_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                             Tensor& running_var, const BatchNormOptions& options, const Tensor& residual) {
  const ChannelLayout layout = channel_layout(x);
  const BatchStatistics stats = batch_statistics(x, layout, running_mean, running_var, options);
  const Affine affine = affine_of(stats.mean, stats.var, gamma, beta, options.eps);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  visit_floating(x.dtype(), "batch_norm_relu", [&]<class T>() {
    kernels::batch_norm_apply_relu(layout.geometry, x.data<T>(), affine.scale.data<T>(), affine.shift.data<T>(),
                                   residual.defined() ? residual.data<T>() : nullptr, y.data<T>());
  });
  return record("batch_norm_relu", std::move(y), {x, gamma, beta, residual},
                [x, gamma, residual, layout, batch_mean = stats.mean, affine,
                 eps = options.eps](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const GradientRule* rule = relu_rule();
    const bool residual_grad = residual.defined() && ctx.needs_input_grad(3);
    if (!GradMode::enabled() && !rule) {
      // The gate [y > 0], read from y after a residual add, else recomputed from x.
      const TensorGate gate{residual.defined() ? ctx.output() : Tensor(), affine.scale, affine.shift,
                            residual_grad ? Tensor::empty(x.shape(), x.dtype()) : Tensor()};
      Grads grads = fused_backward(layout, x, g, batch_mean, affine.invstd, gamma, &gate);
      grads.push_back(gate.gated_grad);
      return grads;
    }
    // The ReLU's input, recomputed: what a rule reads, and the gate (a constant: its derivative is 0).
    Tensor pre;
    {
      NoGradGuard no_grad;
      pre = apply_affine(x, layout, affine);
      if (residual.defined()) pre = pre + residual;
    }
    const Tensor gated = rule ? (*rule)(RuleContext{Nonlinearity::Relu, pre, ctx.output(), g}) : g * step(pre);
    Grads grads = GradMode::enabled() ? recorded_train_backward(layout, x, gamma, eps, gated, ctx)
                                      : fused_backward(layout, x, gated, batch_mean, affine.invstd, gamma);
    grads.push_back(residual_grad ? gated : Tensor());
    return grads;
  }, RecordOptions::saving_output());
}

// relu(batch_norm(x) + residual) with running statistics: one pass forward (the training op's kernel
// with the running statistics' affine); backward, the gate [y > 0] (a rule's value at the recomputed
// ReLU input when a GradientRules override of ReLU is active), then batch_norm_eval's VJP.
Tensor batch_norm_relu_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                            const Tensor& running_var, const BatchNormOptions& options, const Tensor& residual) {
  require_running_statistics(running_mean, running_var);
  const ChannelLayout layout = channel_layout(x);
  const Tensor frozen_mean = running_mean.clone();
  const Affine affine = affine_of(frozen_mean, running_var, gamma, beta, options.eps);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  visit_floating(x.dtype(), "batch_norm_relu", [&]<class T>() {
    kernels::batch_norm_apply_relu(layout.geometry, x.data<T>(), affine.scale.data<T>(), affine.shift.data<T>(),
                                   residual.defined() ? residual.data<T>() : nullptr, y.data<T>());
  });
  return record("batch_norm_relu", std::move(y), {x, gamma, beta, residual},
                [x, gamma, residual, layout, frozen_mean, affine](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const Tensor gated = detail::relu_input_gradient("batch_norm_relu", g, ctx.output(), [&] {
      const Tensor pre = apply_affine(x, layout, affine);
      return residual.defined() ? pre + residual : pre;
    });
    Grads grads = eval_backward(layout, x, gamma, frozen_mean, affine.invstd, gated, ctx);
    grads.push_back(residual.defined() && ctx.needs_input_grad(3) ? gated : Tensor());
    return grads;
  }, RecordOptions::saving_output());
}

}  // namespace

// x: [N,C,H,W] or [N,C]; gamma, beta, running_mean, running_var: [C] -> x's shape
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, const BatchNormOptions& options) {
  check_inputs(x, gamma, beta, running_mean, running_var, options);
  if (options.training) return batch_norm_train(x, gamma, beta, running_mean, running_var, options);
  return batch_norm_eval(x, gamma, beta, running_mean, running_var, options);
}

Tensor batch_norm_relu(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                       Tensor running_var, const BatchNormOptions& options, const Tensor& residual) {
  check_inputs(x, gamma, beta, running_mean, running_var, options);
  if (residual.defined()) {
    if (residual.dtype() != x.dtype())
      throw DTypeError("batch_norm_relu: residual " + detail::describe(residual) +
                       " must have the dtype of the input " + detail::describe(x));
    if (!(residual.shape() == x.shape()))
      throw ShapeError("batch_norm_relu: residual must have the input's shape " + x.shape().str() + ", got " +
                       residual.shape().str());
  }
  if (options.training) return batch_norm_relu_train(x, gamma, beta, running_mean, running_var, options, residual);
  return batch_norm_relu_eval(x, gamma, beta, running_mean, running_var, options, residual);
}

}  // namespace attrax
