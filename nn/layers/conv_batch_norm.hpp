#pragma once
// A convolution followed by batch norm, the pair every ResNet repeats. In eval mode the batch norm
// is affine in its input and can be folded into the convolution's weights and bias, so the pair
// costs one op and one pass over the output instead of two:
//   s = γ / sqrt(running_var + ε),   w'[k] = s[k] · w[k],   b' = β + s · (b − running_mean)
//   bn(conv(x)) = conv2d(x, w', b')
// The fold is computed in one loop over the channels and, with a tape, recorded with its
// derivatives, so gradients (of both orders) reach x, w, b, γ, β and the running statistics as
// through the two modules; attribution rules, which act on nonlinearities, are unaffected.
#include "engine/tensor.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batch_norm2d.hpp"
#include "nn/layers/conv2d.hpp"

namespace attrax::nn {

// bn(conv(x)): folded when bn is in eval mode, has running statistics, and neither module has a
// forward hook (a hook must see its module's own output); the two modules in turn otherwise.
Tensor conv_batch_norm(Conv2d& conv, BatchNorm2d& bn, const Tensor& x);

// act(bn(x) + residual) (residual may be undefined: act(bn(x))). A bn followed by a ReLU, neither
// with a forward hook, is the engine's one op batch_norm_relu (one pass forward; in training the
// ReLU's gate inside batch norm's backward); otherwise the modules in turn.
Tensor batch_norm_activation(BatchNorm2d& bn, Activation& act, const Tensor& x, const Tensor& residual = {});

// act(bn(conv(x)) + residual): batch_norm_activation's fusion in training; in eval mode
// conv_batch_norm's fold, and when act is a ReLU without a forward hook the engine's one op
// conv2d_scaled_relu (the add and the ReLU applied by the convolution as it stores its outputs).
Tensor conv_batch_norm_activation(Conv2d& conv, BatchNorm2d& bn, Activation& act, const Tensor& x,
                                  const Tensor& residual = {});

}  // namespace attrax::nn
