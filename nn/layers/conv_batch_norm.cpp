#include "nn/layers/conv_batch_norm.hpp"

#include <cmath>
#include <utility>

#include "engine/autograd.hpp"
#include "engine/ops/conv.hpp"
#include "engine/ops/elementwise.hpp"

namespace attrax::nn {

namespace {

bool foldable(const Conv2d& conv, const BatchNorm2d& bn) {
  return !bn.is_training() && bn.running_mean.defined() && bn.running_var.defined() &&
         bn.running_mean.numel() == conv.weight.size(0) && !conv.has_forward_hook() &&
         !bn.has_forward_hook();
}

// s = γ / sqrt(running_var + ε) and b' = β + s (b − running_mean) in one loop over the channels (six
// ops on [K] vectors, each with its own tensor and tape node, cost more than the loop: a batch-1
// inference runs one fold per convolution, an IG-32 pass 1-3% of its time).
std::pair<Tensor, Tensor> fold_constants(const Conv2d& conv, const BatchNorm2d& bn) {
  const std::int64_t K = conv.weight.size(0);
  Tensor scale = Tensor::empty({K}, conv.weight.dtype()), shift = Tensor::empty({K}, conv.weight.dtype());
  visit_floating(conv.weight.dtype(), "conv_batch_norm", [&]<class T>() {
    const T* gamma = bn.weight.defined() ? bn.weight.data<T>() : nullptr;
    const T* beta = bn.bias.defined() ? bn.bias.data<T>() : nullptr;
    const T* bias = conv.bias.defined() ? conv.bias.data<T>() : nullptr;
    const T* mean = bn.running_mean.data<T>();
    const T* var = bn.running_var.data<T>();
    T* s = scale.data<T>();
    T* b = shift.data<T>();
    for (std::int64_t k = 0; k < K; ++k) {
      s[k] = std::pow(var[k] + T(bn.eps()), T(-0.5));
      if (gamma) s[k] = gamma[k] * s[k];
      const T centre = bias ? bias[k] - mean[k] : -mean[k];
      b[k] = s[k] * centre;
      if (beta) b[k] = beta[k] + b[k];
    }
  });
  return {scale, shift};
}

// Whether bn(x) then act is batch_norm_relu's pattern (see the header): a ReLU, no hooks, and in
// eval mode the running statistics.
bool fusable(const BatchNorm2d& bn, const Activation& act) {
  const bool statistics = bn.is_training() || (bn.running_mean.defined() && bn.running_var.defined());
  return statistics && act.spec().kind == ActivationSpec::Kind::Relu && !bn.has_forward_hook() &&
         !act.has_forward_hook();
}

// The folded batch norm's (s, b') from fold_constants' loop; with a tape, each recorded as one node
// whose VJP is its expression's derivative (in differentiable ops, for gradients of gradients), so
// that gradients reach γ, β, the convolution's bias and the running statistics:
//   s = γ r,  r = (v + ε)^(-1/2):   dγ = ds r,   dv = −½ ds γ (v + ε)^(-3/2)
//   b' = β + s (b − μ):            dβ = db',   ds = db' (b − μ),   db = db' s,   dμ = −db' s
std::pair<Tensor, Tensor> fold(const Conv2d& conv, const BatchNorm2d& bn) {
  auto [scale, shift] = fold_constants(conv, bn);
  if (!GradMode::enabled()) return {scale, shift};
  const Tensor gamma = bn.weight, var = bn.running_var, mean = bn.running_mean, bias = conv.bias;
  const double eps = bn.eps();
  scale = record("batch_norm_fold_scale", scale, {gamma, var},
                 [gamma, var, eps](const Tensor& g, const BackwardContext& ctx) -> Grads {
    Tensor dgamma, dvar;
    if (ctx.needs_input_grad(0)) dgamma = g * pow(var + eps, -0.5);
    if (ctx.needs_input_grad(1)) {
      dvar = g * pow(var + eps, -1.5) * -0.5;
      if (gamma.defined()) dvar = dvar * gamma;
    }
    return {dgamma, dvar};
  });
  shift = record("batch_norm_fold_shift", shift, {bn.bias, scale, bias, mean},
                 [scale, bias, mean](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {ctx.needs_input_grad(0) ? g : Tensor(),
            ctx.needs_input_grad(1) ? g * (bias.defined() ? bias - mean : -mean) : Tensor(),
            ctx.needs_input_grad(2) ? g * scale : Tensor(), ctx.needs_input_grad(3) ? -(g * scale) : Tensor()};
  });
  return {scale, shift};
}

// Whether act is a ReLU that the folded convolution may apply as it stores its outputs.
bool relu_foldable(const Activation& act) {
  return act.spec().kind == ActivationSpec::Kind::Relu && !act.has_forward_hook();
}

}  // namespace

Tensor conv_batch_norm(Conv2d& conv, BatchNorm2d& bn, const Tensor& x) {
  if (!foldable(conv, bn)) return bn(conv(x));
  const auto [scale, shift] = fold(conv, bn);
  // y = conv2d(x, w') + b' with w'[k] = s[k] w[k], scaled as the kernel packs w
  return conv2d_scaled(x, conv.weight, scale, shift, conv.options());
}

Tensor batch_norm_activation(BatchNorm2d& bn, Activation& act, const Tensor& x, const Tensor& residual) {
  if (fusable(bn, act)) return bn.forward_relu(x, residual);
  const Tensor y = bn(x);
  return act(residual.defined() ? y + residual : y);
}

Tensor conv_batch_norm_activation(Conv2d& conv, BatchNorm2d& bn, Activation& act, const Tensor& x,
                                  const Tensor& residual) {
  if (foldable(conv, bn) && relu_foldable(act)) {
    const auto [scale, shift] = fold(conv, bn);
    return conv2d_scaled_relu(x, conv.weight, scale, shift, conv.options(), residual);
  }
  if (fusable(bn, act)) return bn.forward_relu(conv(x), residual);
  const Tensor y = conv_batch_norm(conv, bn, x);
  return act(residual.defined() ? y + residual : y);
}

}  // namespace attrax::nn
