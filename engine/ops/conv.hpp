#pragma once
// 2-D convolution and its two adjoints. The three ops close under differentiation:
//   y  = conv2d(x, w)              dx = conv_transpose2d(dy, w)   dw = conv2d_weight(x, dy)
//   x' = conv_transpose2d(g, w)    dg = conv2d(dx', w)            dw = conv2d_weight(dx', g)
//   w' = conv2d_weight(x, g)       dx = conv_transpose2d(g, dw')  dg = conv2d(x, dw')
// so gradients of gradients through convolutions are exact.
#include <array>
#include <cstdint>

#include "engine/tensor.hpp"

namespace attrax {

struct Conv2dOptions {
  std::array<std::int64_t, 2> stride{1, 1};
  std::array<std::int64_t, 2> padding{0, 0};   // zero padding on each side (top/bottom, left/right)
  std::array<std::int64_t, 2> dilation{1, 1};
  std::int64_t groups = 1;                     // groups == C == K: depthwise
};

// x: [N,C,H,W], w: [K,C/groups,R,S], bias: [K] or undefined -> [N,K,P,Q]
//   P = (H + 2 pad_h - dil_h (R-1) - 1) / stride_h + 1, likewise Q
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});

// conv2d(x, w · scale[k] per output channel k, bias), the scaling done as the kernel packs the weights
// rather than as a pass of its own: an eval-mode batch norm folded into its convolution. scale: [K].
Tensor conv2d_scaled(const Tensor& x, const Tensor& w, const Tensor& scale, const Tensor& bias = Tensor(),
                     const Conv2dOptions& options = {});

// relu(conv2d_scaled(x, w, scale, bias) + residual), residual optional ([N,K,P,Q], x's dtype): an
// eval-mode residual block's convolution with its batch norm folded in, the add and the ReLU done
// by the kernel as it stores its outputs rather than as passes of their own. The backward pass gates
// the gradient by [y > 0]; a GradientRules override of ReLU gets the ReLU's input, recomputed by one
// more convolution.
Tensor conv2d_scaled_relu(const Tensor& x, const Tensor& w, const Tensor& scale, const Tensor& bias = Tensor(),
                          const Conv2dOptions& options = {}, const Tensor& residual = Tensor());

// The adjoint of conv2d in x (PyTorch's conv_transpose2d, same weight layout).
// x: [N,K,P,Q], w: [K,C/groups,R,S], bias: [C] or undefined -> [N,C,H,W]
//   H = (P-1) stride_h - 2 pad_h + dil_h (R-1) + output_padding_h + 1, likewise W
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(),
                        const Conv2dOptions& options = {},
                        std::array<std::int64_t, 2> output_padding = {0, 0});

// The adjoint of conv2d in w: the weight gradient for input x and output gradient dy.
// x: [N,C,H,W], dy: [N,K,P,Q] -> [K,C/groups,R,S] (kernel size given, since it is not implied)
Tensor conv2d_weight(const Tensor& x, const Tensor& dy, std::array<std::int64_t, 2> kernel_size,
                     const Conv2dOptions& options = {});

}  // namespace attrax
