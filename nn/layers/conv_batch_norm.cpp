#include "nn/layers/conv_batch_norm.hpp"

#include "engine/ops/conv.hpp"
#include "engine/ops/elementwise.hpp"

namespace attrax::nn {

namespace {

bool foldable(const Conv2d& conv, const BatchNorm2d& bn) {
  return !bn.is_training() && bn.running_mean.defined() && bn.running_var.defined() &&
         bn.running_mean.numel() == conv.weight.size(0) && !conv.has_forward_hook() &&
         !bn.has_forward_hook();
}

}  // namespace

Tensor conv_batch_norm(Conv2d& conv, BatchNorm2d& bn, const Tensor& x) {
  if (!foldable(conv, bn)) return bn(conv(x));
  // s = γ / sqrt(running_var + ε)
  Tensor scale = pow(bn.running_var + bn.eps(), -0.5);
  if (bn.weight.defined()) scale = bn.weight * scale;
  // b' = β + s (b − running_mean)
  const Tensor centre = conv.bias.defined() ? conv.bias - bn.running_mean : -bn.running_mean;
  Tensor shift = scale * centre;
  if (bn.bias.defined()) shift = bn.bias + shift;
  // y = conv2d(x, w') + b' with w'[k] = s[k] w[k], scaled as the kernel packs w
  return conv2d_scaled(x, conv.weight, scale, shift, conv.options());
}

}  // namespace attrax::nn
