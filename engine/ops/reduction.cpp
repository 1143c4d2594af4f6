#include "engine/ops/reduction.hpp"

#include <algorithm>

#include "engine/autograd.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"

namespace attrax {

namespace {

// The reduced axes of x, normalised, sorted and unique; empty `axes` is an error (use the all-axes form).
Axes reduced_axes(const char* op, const Tensor& x, const Axes& axes) {
  if (axes.empty()) {
    throw IndexError(std::string(op) + ": no axes given; call " + op + "(x) to reduce every axis");
  }
  bool reduced[Shape::kMaxRank] = {};
  for (int a : axes) {
    const int axis = normalize_axis(a, x.rank(), op);
    if (reduced[axis]) {
      throw IndexError(std::string(op) + ": an axis is repeated in the reduction of " + x.shape().str());
    }
    reduced[axis] = true;
  }
  Axes out;
  for (int axis = 0; axis < x.rank(); ++axis)
    if (reduced[axis]) out.push_back(axis);
  return out;
}

// x's shape with `axes` set to 1.
Shape kept_shape(const Shape& shape, const Axes& axes) {
  Shape kept = shape;
  for (int a : axes) kept[a] = 1;
  return kept;
}

// x's shape with `axes` removed.
Shape squeezed_shape(const Shape& shape, const Axes& axes) {
  std::int64_t dims[Shape::kMaxRank];
  std::size_t rank = 0;
  for (int i = 0; i < shape.rank(); ++i)
    if (!std::binary_search(axes.begin(), axes.end(), i)) dims[rank++] = shape[i];
  return Shape(dims, rank);
}

Axes all_axes(const Tensor& x) {
  Axes axes;
  for (int i = 0; i < x.rank(); ++i) axes.push_back(i);
  return axes;
}

// Reduces x onto kept, then drops the axes unless keepdim.
template <class Kernel>
Tensor reduce(const char* op, const Tensor& x, const Axes& axes, bool keepdim, Kernel kernel) {
  const Shape kept = kept_shape(x.shape(), axes);
  Tensor y = Tensor::empty(keepdim ? kept : squeezed_shape(x.shape(), axes), x.dtype());
  visit_floating(x.dtype(), op, [&]<class T>() { kernel(x.shape(), x.data<T>(), kept, y.data<T>()); });
  return y;
}

}  // namespace

// y = Σ_axes x:  dx = broadcast(g)
Tensor sum(const Tensor& x, const Axes& axes_in, bool keepdim) {
  detail::check_floating("sum", x);
  const Axes axes = reduced_axes("sum", x, axes_in);
  Tensor y = reduce("sum", x, axes, keepdim, []<class T>(const Shape& s, const T* p, const Shape& k, T* o) {
    kernels::reduce_sum(s, p, k, o);
  });
  const Shape kept = kept_shape(x.shape(), axes), shape = x.shape();
  return record("sum", y, {x}, [kept, shape](const Tensor& g, const BackwardContext&) -> Grads {
    return {broadcast_to(g.reshape(kept), shape)};
  });
}

Tensor sum(const Tensor& x) {
  detail::check_floating("sum", x);
  if (x.rank() == 0) return x.reshape({});
  return sum(x, all_axes(x), false);
}

// y = Σ_axes x / count
Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  detail::check_floating("mean", x);
  if (x.numel() == 0) throw ShapeError("mean: cannot average an empty tensor of shape " + x.shape().str());
  const Tensor total = sum(x, axes, keepdim);
  return total / (double(x.numel()) / double(total.numel()));
}

Tensor mean(const Tensor& x) {
  detail::check_floating("mean", x);
  if (x.numel() == 0) throw ShapeError("mean: cannot average an empty tensor of shape " + x.shape().str());
  return sum(x) / double(x.numel());
}

// y = max_axes x:  dx = broadcast(g) [x = y] / #ties
Tensor max(const Tensor& x, const Axes& axes_in, bool keepdim) {
  detail::check_floating("max", x);
  if (x.numel() == 0) throw ShapeError("max: cannot take the maximum of an empty tensor of shape " + x.shape().str());
  const Axes axes = reduced_axes("max", x, axes_in);
  Tensor y = reduce("max", x, axes, keepdim, []<class T>(const Shape& s, const T* p, const Shape& k, T* o) {
    kernels::reference::reduce_max(s, p, k, o);
  });
  const Shape kept = kept_shape(x.shape(), axes);
  return record("max", y, {x}, [x, axes, kept](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const Tensor ties = eq(x, ctx.output().detach().reshape(kept));
    const Tensor count = sum(ties, axes, true);
    return {g.reshape(kept) * ties / count};
  }, RecordOptions::saving_output());
}

Tensor max(const Tensor& x) {
  detail::check_floating("max", x);
  if (x.rank() == 0) return x.reshape({});
  return max(x, all_axes(x), false);
}

// logsumexp(x) = m + log Σ exp(x - m), m = max(x) held constant (its gradient cancels exactly)
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim) {
  const Tensor m = max(x, axes, true).detach();
  const Tensor y = log(sum(exp(x - m), axes, true)) + m;
  return keepdim ? y : y.reshape(squeezed_shape(x.shape(), reduced_axes("logsumexp", x, axes)));
}

// y = x summed over the axes where `shape` is 1 or missing:  dx = broadcast(g)
Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int lead = x.rank() - shape.rank();
  bool compatible = lead >= 0;
  Axes axes;
  for (int i = 0; compatible && i < x.rank(); ++i) {
    const std::int64_t target = i < lead ? 1 : shape[i - lead];
    if (i < lead || (target == 1 && x.shape()[i] != 1)) axes.push_back(i);
    else if (target != x.shape()[i]) compatible = false;
  }
  if (!compatible) {
    throw ShapeError("sum_to: cannot reduce " + x.shape().str() + " to " + shape.str() +
                     " (the target must be a broadcastable source of the input)");
  }
  const Tensor reduced = axes.empty() ? x : sum(x, axes, true);
  return reduced.reshape(shape);
}

// y = x repeated to `shape`:  dx = sum_to(g, x.shape)
Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  detail::check_floating("broadcast_to", x);
  if (x.shape() == shape) return x;
  if (!(detail::broadcast_shapes("broadcast_to", x.shape(), shape) == shape)) {
    throw ShapeError("broadcast_to: cannot broadcast " + x.shape().str() + " to " + shape.str());
  }
  Tensor y = Tensor::empty(shape, x.dtype());
  visit_floating(x.dtype(), "broadcast_to", [&]<class T>() {
    kernels::broadcast_copy(x.shape(), x.data<T>(), shape, y.data<T>());
  });
  const Shape source = x.shape();
  return record("broadcast_to", y, {x}, [source](const Tensor& g, const BackwardContext&) -> Grads {
    return {sum_to(g, source)};
  });
}

}  // namespace attrax
