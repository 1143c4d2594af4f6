#include "engine/ops/conv.hpp"

#include <array>
#include <string>

#include "engine/autograd.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/reduction.hpp"
#include "engine/ops/relu_gradient.hpp"

namespace attrax {

using detail::describe;
using kernels::ConvGeometry;

namespace {

// The three recorded ops take the spatial extent of their result explicitly; the public ops validate
// their input and derive it from the options, and VJPs pass the extent of the tensor whose gradient
// they compute. That stays exact when conv_transpose2d's output_padding reaches past the stride (PyTorch
// allows it below the dilation): its last output rows are then reached by no input position, and its
// adjoint in x is a conv2d cropped to the input's P rows.

// x: [N,C,H,W], w: [K,C/groups,R,S], bias: [K] or undefined -> [N,K,P,Q]
Tensor conv2d_sized(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dOptions& o,
                    std::int64_t P, std::int64_t Q);
// y: [N,K,P,Q], w: [K,C/groups,R,S], bias: [C] or undefined -> [N,C,H,W]
Tensor conv_transpose2d_sized(const Tensor& y, const Tensor& w, const Tensor& bias,
                              const Conv2dOptions& o, std::int64_t H, std::int64_t W);
// x: [N,C,H,W], dy: [N,K,P,Q] -> [K,C/groups,R,S]
Tensor conv2d_weight_sized(const Tensor& x, const Tensor& dy, std::int64_t R, std::int64_t S,
                           const Conv2dOptions& o);

std::string pair(const std::array<std::int64_t, 2>& v) {
  return "[" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + "]";
}

std::string op_prefix(const char* op) { return std::string(op) + ": "; }

// conv2d's output extent along one axis, (in + 2 pad - dil (k - 1) - 1) / stride + 1, or 0 when the
// dilated kernel does not fit in the padded input.
std::int64_t conv_extent(std::int64_t in, std::int64_t k, std::int64_t stride, std::int64_t pad,
                         std::int64_t dil) {
  const std::int64_t span = in + 2 * pad - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// conv_transpose2d's output extent along one axis: (in - 1) stride - 2 pad + dil (k - 1) + out_pad + 1
std::int64_t transpose_extent(std::int64_t in, std::int64_t k, std::int64_t stride, std::int64_t pad,
                              std::int64_t dil, std::int64_t out_pad) {
  return (in - 1) * stride - 2 * pad + dil * (k - 1) + out_pad + 1;
}

// The problem of conv2d(x: [N,C,H,W], w: [K,C/groups,R,S]) -> [N,K,P,Q].
ConvGeometry geometry(std::int64_t N, std::int64_t C, std::int64_t H, std::int64_t W, std::int64_t K,
                      std::int64_t R, std::int64_t S, std::int64_t P, std::int64_t Q,
                      const Conv2dOptions& o) {
  return {N, C, H, W, K, R, S, P, Q, o.stride[0], o.stride[1], o.padding[0], o.padding[1],
          o.dilation[0], o.dilation[1], o.groups};
}

// y[n,k,:,:] += b[k] for y: [N,K,P,Q]
void add_channel_bias(const Tensor& bias, Tensor& y) {
  if (!bias.defined()) return;
  const std::int64_t planes = y.size(0) * y.size(1), K = y.size(1), area = y.size(2) * y.size(3);
  visit_floating(y.dtype(), "conv bias", [&]<class T>() {
    const T* b = bias.data<T>();
    T* out = y.data<T>();
    for (std::int64_t i = 0; i < planes; ++i)
      for (std::int64_t j = 0; j < area; ++j) out[i * area + j] += b[i % K];
  });
}

// db = Σ_{n,h,w} g[n,:,h,w]
Tensor bias_grad(const Tensor& g) { return sum(g, {0, 2, 3}); }

// y = conv2d(x, w) + b:  dx = conv_transpose2d(g, w) restoring [H,W],  dw = conv2d_weight(x, g),
//                        db = Σ_{n,p,q} g
Tensor conv2d_sized(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dOptions& o,
                    std::int64_t P, std::int64_t Q) {
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  const ConvGeometry g = geometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], P, Q, o);
  Tensor y = Tensor::empty({g.N, g.K, P, Q}, x.dtype());
  visit_floating(x.dtype(), "conv2d", [&]<class T>() {
    kernels::conv2d_forward(g, x.data<T>(), w.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
                            y.data<T>());
  });
  auto vjp = [x, w, o](const Tensor& grad, const BackwardContext& ctx) -> Grads {
    const bool dx = ctx.needs_input_grad(0), dw = ctx.needs_input_grad(1);
    return {dx ? conv_transpose2d_sized(grad, w, Tensor(), o, x.size(2), x.size(3)) : Tensor(),
            dw ? conv2d_weight_sized(x, grad, w.size(2), w.size(3), o) : Tensor(),
            ctx.needs_input_grad(2) ? bias_grad(grad) : Tensor()};
  };
  return record("conv2d", y, {x, w, bias}, vjp);
}

// x' = conv_transpose2d(y, w) + b:  dy = conv2d(g, w) keeping [P,Q],  dw = conv2d_weight(g, y),
//                                   db = Σ_{n,h,w} g
Tensor conv_transpose2d_sized(const Tensor& y, const Tensor& w, const Tensor& bias,
                              const Conv2dOptions& o, std::int64_t H, std::int64_t W) {
  const Shape& ys = y.shape();
  const Shape& ws = w.shape();
  const ConvGeometry g =
      geometry(ys[0], ws[1] * o.groups, H, W, ws[0], ws[2], ws[3], ys[2], ys[3], o);
  Tensor x = Tensor::empty({g.N, g.C, H, W}, y.dtype());
  visit_floating(y.dtype(), "conv_transpose2d", [&]<class T>() {
    kernels::conv2d_input_grad(g, y.data<T>(), w.data<T>(), x.data<T>());
  });
  add_channel_bias(bias, x);
  auto vjp = [y, w, o](const Tensor& grad, const BackwardContext& ctx) -> Grads {
    const bool dy = ctx.needs_input_grad(0), dw = ctx.needs_input_grad(1);
    return {dy ? conv2d_sized(grad, w, Tensor(), o, y.size(2), y.size(3)) : Tensor(),
            dw ? conv2d_weight_sized(grad, y, w.size(2), w.size(3), o) : Tensor(),
            ctx.needs_input_grad(2) ? bias_grad(grad) : Tensor()};
  };
  return record("conv_transpose2d", x, {y, w, bias}, vjp);
}

// w' = conv2d_weight(x, dy):  dx = conv_transpose2d(dy, g) restoring [H,W],  ddy = conv2d(x, g)
Tensor conv2d_weight_sized(const Tensor& x, const Tensor& dy, std::int64_t R, std::int64_t S,
                           const Conv2dOptions& o) {
  const Shape& xs = x.shape();
  const Shape& ys = dy.shape();
  const ConvGeometry g = geometry(xs[0], xs[1], xs[2], xs[3], ys[1], R, S, ys[2], ys[3], o);
  Tensor dw = Tensor::empty({g.K, g.C / g.groups, R, S}, x.dtype());
  visit_floating(x.dtype(), "conv2d_weight", [&]<class T>() {
    kernels::conv2d_weight_grad(g, x.data<T>(), dy.data<T>(), dw.data<T>());
  });
  auto vjp = [x, dy, o](const Tensor& grad, const BackwardContext& ctx) -> Grads {
    const bool dx = ctx.needs_input_grad(0), ddy = ctx.needs_input_grad(1);
    return {dx ? conv_transpose2d_sized(dy, grad, Tensor(), o, x.size(2), x.size(3)) : Tensor(),
            ddy ? conv2d_sized(x, grad, Tensor(), o, dy.size(2), dy.size(3)) : Tensor()};
  };
  return record("conv2d_weight", dw, {x, dy}, vjp);
}

// ---- validation ----

// Throws unless stride and dilation are positive, padding non-negative and groups positive.
void check_options(const char* op, const Conv2dOptions& o) {
  if (o.stride[0] < 1 || o.stride[1] < 1)
    throw ValueError(op_prefix(op) + "stride " + pair(o.stride) + " must be positive");
  if (o.dilation[0] < 1 || o.dilation[1] < 1)
    throw ValueError(op_prefix(op) + "dilation " + pair(o.dilation) + " must be positive");
  if (o.padding[0] < 0 || o.padding[1] < 0)
    throw ValueError(op_prefix(op) + "padding " + pair(o.padding) + " must be non-negative");
  if (o.groups < 1)
    throw ValueError(op_prefix(op) + "groups(" + std::to_string(o.groups) + ") must be positive");
}

// Throws unless t is a float [N,C,H,W] (or [K,C/groups,R,S]) tensor whose extents from `first` on are
// positive.
void check_4d(const char* op, const Tensor& t, const char* role, const char* layout, int first) {
  detail::check_floating(op, t, role);
  detail::check_rank(op, t, 4, role, layout);
  for (int axis = first; axis < 4; ++axis) {
    if (t.size(axis) < 1) {
      throw ShapeError(op_prefix(op) + role + " " + t.shape().str() + " " + layout +
                       " has an empty extent on axis " + std::to_string(axis));
    }
  }
}

// Throws unless a and b have one dtype.
void check_same_dtype(const char* op, const Tensor& a, const char* a_role, const Tensor& b,
                      const char* b_role) {
  if (a.dtype() != b.dtype()) {
    throw DTypeError(op_prefix(op) + a_role + " " + describe(a) + " and " + b_role + " " +
                     describe(b) + " have different dtypes; convert one with .to()");
  }
}

// Throws unless `channels` (of t, in role) is a multiple of groups.
void check_divisible(const char* op, const Tensor& t, const char* role, std::int64_t channels,
                     const char* what, std::int64_t groups) {
  if (channels % groups != 0) {
    throw ShapeError(op_prefix(op) + role + " " + t.shape().str() + " has " +
                     std::to_string(channels) + " " + what + ", which groups(" +
                     std::to_string(groups) + ") does not divide");
  }
}

// Throws unless t (bias, or scale: `role`) is undefined or a [channels] tensor of x's dtype.
// `channels_from()` names where `channels` comes from, for the message.
template <class Describe>
void check_per_channel(const char* op, const Tensor& t, const char* role, std::int64_t channels,
                       const Tensor& x, Describe channels_from) {
  if (!t.defined()) return;
  detail::check_floating(op, t, role);
  check_same_dtype(op, x, "input", t, role);
  if (t.rank() != 1 || t.size(0) != channels) {
    throw ShapeError(op_prefix(op) + role + " " + t.shape().str() + " must have shape [" +
                     std::to_string(channels) + "], one entry per output channel of " +
                     channels_from());
  }
}

// conv2d's output extents [P,Q] for input x and kernel [R,S]; throws when the dilated kernel does not
// fit in the padded input.
std::array<std::int64_t, 2> conv_output_size(const char* op, const Tensor& x, std::int64_t R,
                                             std::int64_t S, const Conv2dOptions& o) {
  const std::int64_t P = conv_extent(x.size(2), R, o.stride[0], o.padding[0], o.dilation[0]);
  const std::int64_t Q = conv_extent(x.size(3), S, o.stride[1], o.padding[1], o.dilation[1]);
  if (P > 0 && Q > 0) return {P, Q};
  const std::int64_t span_h = o.dilation[0] * (R - 1) + 1, span_w = o.dilation[1] * (S - 1) + 1;
  throw ShapeError(op_prefix(op) + "kernel " + std::to_string(R) + " x " + std::to_string(S) +
                   " with dilation " + pair(o.dilation) + " spans " + std::to_string(span_h) +
                   " x " + std::to_string(span_w) + ", larger than input " + x.shape().str() +
                   " with padding " + pair(o.padding) + " (" +
                   std::to_string(x.size(2) + 2 * o.padding[0]) + " x " +
                   std::to_string(x.size(3) + 2 * o.padding[1]) +
                   "); use a smaller kernel or dilation, or more padding");
}

// conv2d's checks of x, w, bias and the options; returns the output extents [P,Q].
std::array<std::int64_t, 2> checked_conv2d_size(const char* op, const Tensor& x, const Tensor& w,
                                                const Tensor& bias, const Conv2dOptions& options) {
  check_4d(op, x, "input", "[N,C,H,W]", 1);
  check_4d(op, w, "weight", "[K,C/groups,R,S]", 0);
  check_same_dtype(op, x, "input", w, "weight");
  check_options(op, options);
  const std::int64_t C = x.size(1), K = w.size(0), groups = options.groups;
  check_divisible(op, x, "input", C, "channels", groups);
  check_divisible(op, w, "weight", K, "output channels", groups);
  if (w.size(1) * groups != C) {
    throw ShapeError(op_prefix(op) + "input " + x.shape().str() + " has " + std::to_string(C) +
                     " channels but weight " + w.shape().str() + " expects " +
                     std::to_string(w.size(1)) + " x groups(" + std::to_string(groups) +
                     ") = " + std::to_string(w.size(1) * groups));
  }
  check_per_channel(op, bias, "bias", K, x, [&] { return "weight " + w.shape().str(); });
  return conv_output_size(op, x, w.size(2), w.size(3), options);
}

// conv2d_scaled's checks and forward pass, with the epilogue relu(y + residual) when `relu` (the
// residual optional).
Tensor scaled_forward(const char* op, const Tensor& x, const Tensor& w, const Tensor& scale, const Tensor& bias,
                      const Conv2dOptions& options, const Tensor& residual, bool relu) {
  const auto [P, Q] = checked_conv2d_size(op, x, w, bias, options);
  if (!scale.defined()) throw ValueError(op_prefix(op) + "scale is undefined; call conv2d instead");
  check_per_channel(op, scale, "scale", w.size(0), x, [&] { return "weight " + w.shape().str(); });
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  const ConvGeometry g = geometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], P, Q, options);
  const Shape out{g.N, g.K, P, Q};
  if (residual.defined()) {
    check_same_dtype(op, x, "input", residual, "residual");
    if (!(residual.shape() == out))
      throw ShapeError(op_prefix(op) + "residual " + residual.shape().str() + " must have the output's shape " +
                       out.str());
  }
  Tensor y = Tensor::empty(out, x.dtype());
  visit_floating(x.dtype(), op, [&]<class T>() {
    const kernels::ConvEpilogue<T> epilogue{residual.defined() ? residual.data<T>() : nullptr, relu};
    kernels::conv2d_forward(g, x.data<T>(), w.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
                            y.data<T>(), scale.data<T>(), epilogue);
  });
  return y;
}

// conv2d_scaled's gradients for the output gradient `grad` (see conv2d_scaled).
Grads scaled_grads(const Tensor& x, const Tensor& w, const Tensor& scale, const Conv2dOptions& options,
                   const Tensor& grad, const BackwardContext& ctx) {
  const Tensor per_channel = scale.reshape({w.size(0), 1, 1, 1});
  const bool dw = ctx.needs_input_grad(1), ds = ctx.needs_input_grad(2);
  const Tensor grad_w = dw || ds ? conv2d_weight_sized(x, grad, w.size(2), w.size(3), options) : Tensor();
  return {ctx.needs_input_grad(0)
              ? conv_transpose2d_sized(grad, w * per_channel, Tensor(), options, x.size(2), x.size(3))
              : Tensor(),
          dw ? grad_w * per_channel : Tensor(), ds ? sum(grad_w * w, {1, 2, 3}) : Tensor(),
          ctx.needs_input_grad(3) ? bias_grad(grad) : Tensor()};
}

}  // namespace

// y[n,k,p,q] = Σ_{c in k's group, r, s} x[n, c, p sh - ph + r dh, q sw - pw + s dw] w[k,c',r,s] + b[k]
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dOptions& options) {
  const auto [P, Q] = checked_conv2d_size("conv2d", x, w, bias, options);
  return conv2d_sized(x, w, bias, options, P, Q);
}

// y = conv2d(x, s·w) + b with s·w formed as the weights are packed:
//   dx = conv_transpose2d(g, s·w),  dw = s · conv2d_weight(x, g),
//   ds[k] = Σ_{c,r,s} conv2d_weight(x, g)[k] w[k],  db = Σ_{n,p,q} g
Tensor conv2d_scaled(const Tensor& x, const Tensor& w, const Tensor& scale, const Tensor& bias,
                     const Conv2dOptions& options) {
  Tensor y = scaled_forward("conv2d_scaled", x, w, scale, bias, options, Tensor(), false);
  return record("conv2d_scaled", y, {x, w, scale, bias},
                [x, w, scale, options](const Tensor& grad, const BackwardContext& ctx) -> Grads {
    return scaled_grads(x, w, scale, options, grad, ctx);
  });
}

// y = relu(conv2d_scaled(x, w, s, b) + residual), the add and the ReLU done by the kernel's epilogue:
//   g' = g [y > 0]  (y > 0 exactly where the ReLU's input is), then conv2d_scaled's gradients of g',
//   and d residual = g'
// A GradientRules override of ReLU replaces g' with the rule's value at the recomputed ReLU input.
Tensor conv2d_scaled_relu(const Tensor& x, const Tensor& w, const Tensor& scale, const Tensor& bias,
                          const Conv2dOptions& options, const Tensor& residual) {
  const char* op = "conv2d_scaled_relu";
  Tensor y = scaled_forward(op, x, w, scale, bias, options, residual, true);
  return record(op, y, {x, w, scale, bias, residual},
                [x, w, scale, bias, options, residual](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const Tensor gated = detail::relu_input_gradient("conv2d_scaled_relu", g, ctx.output(), [&] {
      return scaled_forward("conv2d_scaled_relu", x, w, scale, bias, options, residual, false);
    });
    Grads grads = scaled_grads(x, w, scale, options, gated, ctx);
    grads.push_back(residual.defined() && ctx.needs_input_grad(4) ? gated : Tensor());
    return grads;
  }, RecordOptions::saving_output());
}

// x'[n,c,h,w] = Σ over the (k, p, q, r, s) with h = p sh - ph + r dh, w = q sw - pw + s dw of
//               x[n,k,p,q] w[k,c',r,s], + b[c]
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias,
                        const Conv2dOptions& options, std::array<std::int64_t, 2> output_padding) {
  const char* op = "conv_transpose2d";
  check_4d(op, x, "input", "[N,K,P,Q]", 1);
  check_4d(op, w, "weight", "[K,C/groups,R,S]", 0);
  check_same_dtype(op, x, "input", w, "weight");
  check_options(op, options);
  const std::int64_t K = x.size(1), groups = options.groups, C = w.size(1) * groups;
  if (w.size(0) != K) {
    throw ShapeError(op_prefix(op) + "input " + x.shape().str() + " has " + std::to_string(K) +
                     " channels but weight " + w.shape().str() + " (laid out [in_channels, "
                     "out_channels/groups, R, S]) expects " + std::to_string(w.size(0)));
  }
  check_divisible(op, x, "input", K, "channels", groups);
  for (int axis = 0; axis < 2; ++axis) {
    const std::int64_t pad = output_padding[axis];
    if (pad < 0 || (pad >= options.stride[axis] && pad >= options.dilation[axis])) {
      throw ValueError(op_prefix(op) + "output_padding " + pair(output_padding) +
                       " must be non-negative and smaller than either stride " +
                       pair(options.stride) + " or dilation " + pair(options.dilation));
    }
  }
  check_per_channel(op, bias, "bias", C, x, [&] {
    return "weight " + w.shape().str() + " x groups(" + std::to_string(groups) + ")";
  });
  const std::int64_t H = transpose_extent(x.size(2), w.size(2), options.stride[0],
                                          options.padding[0], options.dilation[0], output_padding[0]);
  const std::int64_t W = transpose_extent(x.size(3), w.size(3), options.stride[1],
                                          options.padding[1], options.dilation[1], output_padding[1]);
  if (H < 1 || W < 1) {
    throw ShapeError(op_prefix(op) + "input " + x.shape().str() + " with weight " +
                     w.shape().str() + ", stride " + pair(options.stride) + ", padding " +
                     pair(options.padding) + " and dilation " + pair(options.dilation) +
                     " gives an empty output " + std::to_string(H) + " x " + std::to_string(W) +
                     "; reduce the padding");
  }
  return conv_transpose2d_sized(x, w, bias, options, H, W);
}

// dw[k,c',r,s] = Σ_{n,p,q} x[n, c, p sh - ph + r dh, q sw - pw + s dw] dy[n,k,p,q]
Tensor conv2d_weight(const Tensor& x, const Tensor& dy, std::array<std::int64_t, 2> kernel_size,
                     const Conv2dOptions& options) {
  const char* op = "conv2d_weight";
  check_4d(op, x, "input", "[N,C,H,W]", 1);
  check_4d(op, dy, "output gradient", "[N,K,P,Q]", 1);
  check_same_dtype(op, x, "input", dy, "output gradient");
  check_options(op, options);
  if (kernel_size[0] < 1 || kernel_size[1] < 1)
    throw ValueError(op_prefix(op) + "kernel_size " + pair(kernel_size) + " must be positive");
  if (x.size(0) != dy.size(0)) {
    throw ShapeError(op_prefix(op) + "input " + x.shape().str() + " and output gradient " +
                     dy.shape().str() + " have different batch sizes");
  }
  check_divisible(op, x, "input", x.size(1), "channels", options.groups);
  check_divisible(op, dy, "output gradient", dy.size(1), "channels", options.groups);
  const auto [R, S] = kernel_size;
  const auto [P, Q] = conv_output_size(op, x, R, S, options);
  if (dy.size(2) != P || dy.size(3) != Q) {
    throw ShapeError(op_prefix(op) + "output gradient " + dy.shape().str() + " does not match " +
                     "conv2d's output " + std::to_string(P) + " x " + std::to_string(Q) +
                     " for input " + x.shape().str() + " and kernel " + pair(kernel_size));
  }
  return conv2d_weight_sized(x, dy, R, S, options);
}

}  // namespace attrax
