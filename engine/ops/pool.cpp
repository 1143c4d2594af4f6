#include "engine/ops/pool.hpp"

#include <string>

#include "engine/autograd.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/reduction.hpp"
#include "engine/ops/shape_ops.hpp"

namespace attrax {

namespace {

std::string pair_str(const std::array<std::int64_t, 2>& v) {
  return std::to_string(v[0]) + "x" + std::to_string(v[1]);
}

// The pooling geometry of an input of `shape` [N,C,H,W]; throws on options PyTorch rejects.
kernels::PoolGeometry pool_geometry(const char* op, const Shape& shape, const Pool2dOptions& o) {
  const std::string name(op);
  const auto& [kh, kw] = o.kernel;
  if (kh <= 0 || kw <= 0) throw ValueError(name + ": kernel must be positive, got " + pair_str(o.kernel));
  if (o.stride[0] < 0 || o.stride[1] < 0) {
    throw ValueError(name + ": stride must be non-negative (0 means equal to the kernel), got " +
                pair_str(o.stride));
  }
  const auto& [ph, pw] = o.padding;
  if (ph < 0 || pw < 0 || ph > kh / 2 || pw > kw / 2) {
    throw ValueError(name + ": padding " + pair_str(o.padding) + " must be between 0 and half the kernel " +
                pair_str(o.kernel));
  }
  const std::int64_t H = shape[2], W = shape[3];
  if (H <= 0 || W <= 0 || H + 2 * ph < kh || W + 2 * pw < kw) {
    throw ShapeError(name + ": input " + shape.str() + " is smaller than the kernel " +
                     pair_str(o.kernel) + " with padding " + pair_str(o.padding) +
                     "; use a smaller kernel or more padding");
  }
  const std::int64_t sh = o.stride[0] ? o.stride[0] : kh, sw = o.stride[1] ? o.stride[1] : kw;
  // P = floor((H + 2 ph - kh) / sh) + 1
  return {shape[0], shape[1], H, W, (H + 2 * ph - kh) / sh + 1, (W + 2 * pw - kw) / sw + 1,
          kh, kw, sh, sw, ph, pw};
}

kernels::PoolGeometry checked_geometry(const char* op, const Tensor& x, const Pool2dOptions& options) {
  detail::check_floating(op, x);
  detail::check_rank(op, x, 4, "input", "[N,C,H,W]");
  return pool_geometry(op, x.shape(), options);
}

}  // namespace

// y[p,q] = max_window x:  dx = scatter_add(zeros, argmax, g) on x seen as [N*C, H*W]
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  const kernels::PoolGeometry geo = checked_geometry("max_pool2d", x, options);
  Tensor y = Tensor::empty({geo.N, geo.C, geo.P, geo.Q}, x.dtype());
  Tensor argmax = Tensor::empty({geo.N * geo.C, geo.P * geo.Q}, DType::Int64);
  visit_floating(x.dtype(), "max_pool2d", [&]<class T>() {
    kernels::max_pool2d_forward(geo, x.data<T>(), y.data<T>(), argmax.data<std::int64_t>());
  });
  const Shape shape = x.shape();
  return record("max_pool2d", y, {x}, [geo, argmax, shape](const Tensor& g, const BackwardContext&) -> Grads {
    const Tensor planes = Tensor::zeros({geo.N * geo.C, geo.H * geo.W}, g.dtype());
    const Tensor dy = g.reshape({geo.N * geo.C, geo.P * geo.Q});
    return {scatter_add(planes, 1, argmax, dy).reshape(shape)};
  });
}

// y[p,q] = Σ_window x / (kh kw):  dx = avg_pool2d_adjoint(g)
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  const kernels::PoolGeometry geo = checked_geometry("avg_pool2d", x, options);
  Tensor y = Tensor::empty({geo.N, geo.C, geo.P, geo.Q}, x.dtype());
  visit_floating(x.dtype(), "avg_pool2d", [&]<class T>() {
    kernels::avg_pool2d_forward(geo, x.data<T>(), y.data<T>());
  });
  return record("avg_pool2d", y, {x}, [geo, options](const Tensor& g, const BackwardContext&) -> Grads {
    return {avg_pool2d_adjoint(g, options, geo.H, geo.W)};
  });
}

// dx[h,w] = Σ_{windows containing (h,w)} dy / (kh kw):  d(dy) = avg_pool2d(g)
Tensor avg_pool2d_adjoint(const Tensor& dy, const Pool2dOptions& options, std::int64_t in_h,
                          std::int64_t in_w) {
  const char* op = "avg_pool2d_adjoint";
  detail::check_floating(op, dy, "gradient");
  detail::check_rank(op, dy, 4, "gradient", "[N,C,P,Q]");
  if (in_h <= 0 || in_w <= 0) {
    throw ShapeError(std::string(op) + ": input size " + std::to_string(in_h) + "x" +
                     std::to_string(in_w) + " must be positive");
  }
  const Shape input{dy.size(0), dy.size(1), in_h, in_w};
  const kernels::PoolGeometry geo = pool_geometry(op, input, options);
  if (dy.size(2) != geo.P || dy.size(3) != geo.Q) {
    throw ShapeError(std::string(op) + ": gradient " + dy.shape().str() + " does not match the " +
                     Shape{geo.N, geo.C, geo.P, geo.Q}.str() + " output of pooling an input " +
                     input.str());
  }
  Tensor dx = Tensor::empty(input, dy.dtype());
  visit_floating(dy.dtype(), op, [&]<class T>() {
    kernels::avg_pool2d_adjoint(geo, dy.data<T>(), dx.data<T>());
  });
  return record(op, dx, {dy}, [options](const Tensor& g, const BackwardContext&) -> Grads {
    return {avg_pool2d(g, options)};
  });
}

// y[n,c] = mean over (h, w) of x[n,c,h,w]
Tensor global_avg_pool2d(const Tensor& x) {
  detail::check_floating("global_avg_pool2d", x);
  detail::check_rank("global_avg_pool2d", x, 4, "input", "[N,C,H,W]");
  return mean(x, {2, 3});
}

}  // namespace attrax
