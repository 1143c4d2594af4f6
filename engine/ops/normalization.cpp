#include "engine/ops/normalization.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "engine/autograd.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/reduction.hpp"

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

// What the forward pass computes per channel: invstd = 1 / sqrt(var + eps), and y.
struct Normalized {
  Tensor y;
  Tensor invstd;
};

// y = x scale + shift with scale = gamma invstd, shift = beta - mean scale (gamma = 1, beta = 0 when
// undefined), through the fused kernel.
Normalized normalize(const Tensor& x, const ChannelLayout& layout, const Tensor& mean,
                     const Tensor& var, const Tensor& gamma, const Tensor& beta, double eps) {
  const std::int64_t C = layout.geometry.axis;
  Normalized out{Tensor::empty(x.shape(), x.dtype()), Tensor::empty({C}, x.dtype())};
  visit_floating(x.dtype(), "batch_norm", [&]<class T>() {
    std::vector<T> scale(static_cast<std::size_t>(C)), shift(scale.size());
    T* invstd = out.invstd.data<T>();
    for (std::int64_t c = 0; c < C; ++c) {
      invstd[c] = T(1) / std::sqrt(var.data<T>()[c] + T(eps));
      scale[c] = (gamma.defined() ? gamma.data<T>()[c] : T(1)) * invstd[c];
      shift[c] = (beta.defined() ? beta.data<T>()[c] : T(0)) - mean.data<T>()[c] * scale[c];
    }
    kernels::batch_norm_apply(layout.geometry, x.data<T>(), scale.data(), shift.data(),
                              out.y.data<T>());
  });
  return out;
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

// The training-mode VJP through the fused kernel (values only, no tape): {dx, dgamma, dbeta}.
Grads fused_backward(const ChannelLayout& layout, const Tensor& x, const Tensor& g, const Tensor& mean,
                     const Tensor& invstd, const Tensor& gamma) {
  const std::int64_t C = layout.geometry.axis;
  Grads grads{Tensor::empty(x.shape(), x.dtype()), Tensor::empty({C}, x.dtype()), Tensor::empty({C}, x.dtype())};
  visit_floating(x.dtype(), "batch_norm", [&]<class T>() {
    kernels::batch_norm_backward(layout.geometry, x.data<T>(), g.data<T>(), mean.data<T>(), invstd.data<T>(),
                                 gamma.defined() ? gamma.data<T>() : nullptr, grads[0].data<T>(),
                                 grads[1].data<T>(), grads[2].data<T>());
  });
  return grads;
}

// Training: batch statistics. With xhat = (x - mean) invstd recomputed from x by differentiable ops,
//   dx = gamma invstd (g - mean(g) - xhat mean(g xhat)),  dgamma = Σ g xhat,  dbeta = Σ g
Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                        Tensor& running_mean, Tensor& running_var, const BatchNormOptions& options) {
  const ChannelLayout layout = channel_layout(x);
  const std::int64_t count = layout.geometry.outer * layout.geometry.inner;
  if (count <= 1) {
    throw ShapeError("batch_norm: expected more than 1 value per channel when training, got input " +
                     x.shape().str() + " (N*H*W = " + std::to_string(count) +
                     "); use a larger batch or eval mode");
  }
  const std::int64_t C = layout.geometry.axis;
  Tensor batch_mean = Tensor::empty({C}, x.dtype()), batch_var = Tensor::empty({C}, x.dtype());
  visit_floating(x.dtype(), "batch_norm", [&]<class T>() {
    kernels::batch_norm_statistics(layout.geometry, x.data<T>(), batch_mean.data<T>(),
                                   batch_var.data<T>());
  });
  update_running(running_mean, running_var, batch_mean, batch_var, options.momentum, count);
  const Normalized out = normalize(x, layout, batch_mean, batch_var, gamma, beta, options.eps);
  return record("batch_norm", out.y, {x, gamma, beta},
                [x, gamma, layout, batch_mean, invstd_c = out.invstd,
                 eps = options.eps](const Tensor& g, const BackwardContext& ctx) -> Grads {
    // A pass that is not itself recorded takes the fused two-pass kernel; a recorded one (create_graph)
    // the composition of differentiable ops below, which gives the same values.
    if (!GradMode::enabled()) return fused_backward(layout, x, g, batch_mean, invstd_c, gamma);
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
  });
}

// Eval: running statistics, constant in x, so y is affine in x, gamma and beta:
//   dx = g gamma invstd,  dgamma = Σ g (x - mean) invstd,  dbeta = Σ g
Tensor batch_norm_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       const Tensor& running_mean, const Tensor& running_var,
                       const BatchNormOptions& options) {
  if (!running_mean.defined() || !running_var.defined()) {
    throw Error(std::string("batch_norm: eval mode normalises with running_mean and running_var, "
                            "but ") + (running_mean.defined() ? "running_var" : "running_mean") +
                " is undefined");
  }
  const ChannelLayout layout = channel_layout(x);
  const Tensor frozen_mean = running_mean.clone();
  const Normalized out = normalize(x, layout, frozen_mean, running_var, gamma, beta, options.eps);
  return record("batch_norm", out.y, {x, gamma, beta},
                [x, gamma, layout, frozen_mean, invstd_c = out.invstd](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const Tensor invstd = invstd_c.reshape(layout.per_channel);
    Grads grads(3);
    if (ctx.needs_input_grad(0))
      grads[0] = g * (gamma.defined() ? gamma.reshape(layout.per_channel) * invstd : invstd);
    if (ctx.needs_input_grad(1))
      grads[1] = sum(g * ((x - frozen_mean.reshape(layout.per_channel)) * invstd), layout.axes);
    if (ctx.needs_input_grad(2)) grads[2] = sum(g, layout.axes);
    return grads;
  });
}

}  // namespace

// x: [N,C,H,W] or [N,C]; gamma, beta, running_mean, running_var: [C] -> x's shape
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, const BatchNormOptions& options) {
  check_inputs(x, gamma, beta, running_mean, running_var, options);
  if (options.training) return batch_norm_train(x, gamma, beta, running_mean, running_var, options);
  return batch_norm_eval(x, gamma, beta, running_mean, running_var, options);
}

}  // namespace attrax
