// slice, concat, stack and pad: the ops of shape_ops.hpp that cut tensors up and join them.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/autograd.hpp"
#include "engine/kernels/reference/layout.hpp"
#include "engine/ops/shape_ops.hpp"

namespace attrax {

namespace {

// Extents before and after `axis`: the tensor seen as [outer, shape[axis], inner].
std::pair<std::int64_t, std::int64_t> outer_inner(const Shape& shape, int axis) {
  std::int64_t outer = 1, inner = 1;
  for (int a = 0; a < axis; ++a) outer *= shape[a];
  for (int a = axis + 1; a < shape.rank(); ++a) inner *= shape[a];
  return {outer, inner};
}

// A Python slice position: negative counts from the end, then clamped to [0, extent].
std::int64_t clamp_position(std::int64_t position, std::int64_t extent) {
  if (position < 0) position += extent;
  return std::clamp<std::int64_t>(position, 0, extent);
}

// Throws unless every tensor has the dtype of xs[0] and, except on `axis` (if >= 0), its shape.
void check_joinable(const char* op, const std::vector<Tensor>& xs, int axis) {
  const Tensor& first = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    if (x.dtype() != first.dtype()) {
      throw DTypeError(std::string(op) + ": input " + std::to_string(i) + " is " +
                       dtype_name(x.dtype()) + " " + x.shape().str() + " but input 0 is " +
                       dtype_name(first.dtype()) + " " + first.shape().str() + "; convert with .to()");
    }
    bool same = x.rank() == first.rank();
    for (int a = 0; same && a < x.rank(); ++a) same = a == axis || x.shape()[a] == first.shape()[a];
    if (!same) {
      throw ShapeError(std::string(op) + ": input " + std::to_string(i) + " has shape " +
                       x.shape().str() + " but input 0 has shape " + first.shape().str() +
                       (axis >= 0 ? "; all extents except axis " + std::to_string(axis) + " must agree"
                                  : "; all shapes must agree"));
    }
  }
}

}  // namespace

// y = x[start:end] along axis:  dx = pad(g) with start zeros before and extent - end after
Tensor slice(const Tensor& x, int axis, std::int64_t start, std::int64_t end) {
  const int a = normalize_axis(axis, x.rank(), "slice");
  const std::int64_t extent = x.shape()[a];
  const std::int64_t lo = clamp_position(start, extent);
  const std::int64_t hi = std::max(lo, clamp_position(end, extent));
  Shape out = x.shape();
  out[a] = hi - lo;
  Tensor y = Tensor::empty(out, x.dtype());
  const auto [outer, inner] = outer_inner(x.shape(), a);
  visit_dtype(x.dtype(), [&]<class T>() {
    kernels::reference::copy_rows(outer, inner, hi - lo, extent, lo, x.data<T>(), hi - lo, 0,
                                  y.data<T>());
  });
  std::vector<std::int64_t> before(x.rank(), 0), after(x.rank(), 0);
  before[a] = lo;
  after[a] = extent - hi;
  return record("slice", y, {x}, [before, after](const Tensor& g, const BackwardContext&) -> Grads {
    return {pad(g, before, after)};
  });
}

// y = [x_0; x_1; ...] along axis:  dx_i = slice(g, axis, offset_i, offset_i + extent_i)
Tensor concat(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw Error("concat: no tensors to join");
  const int a = normalize_axis(axis, xs[0].rank(), "concat");
  check_joinable("concat", xs, a);
  std::vector<std::int64_t> offsets;
  Shape out = xs[0].shape();
  out[a] = 0;
  for (const Tensor& x : xs) {
    offsets.push_back(out[a]);
    out[a] += x.shape()[a];
  }
  Tensor y = Tensor::empty(out, xs[0].dtype());
  const auto [outer, inner] = outer_inner(out, a);
  visit_dtype(y.dtype(), [&]<class T>() {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const std::int64_t rows = xs[i].shape()[a];
      kernels::reference::copy_rows(outer, inner, rows, rows, 0, xs[i].data<T>(), out[a], offsets[i],
                                    y.data<T>());
    }
  });
  offsets.push_back(out[a]);
  return record("concat", y, xs, [a, offsets](const Tensor& g, const BackwardContext& ctx) -> Grads {
    Grads grads(offsets.size() - 1);
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (ctx.needs_input_grad(i)) grads[i] = slice(g, a, offsets[i], offsets[i + 1]);
    return grads;
  });
}

// y = concat of the x_i, each viewed with a new extent-1 axis at `axis`
Tensor stack(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw Error("stack: no tensors to join");
  const int a = normalize_axis(axis, xs[0].rank() + 1, "stack");
  check_joinable("stack", xs, -1);
  std::vector<std::int64_t> dims = xs[0].shape().vec();
  dims.insert(dims.begin() + a, 1);
  std::vector<Tensor> pieces;
  for (const Tensor& x : xs) pieces.push_back(x.reshape(dims));
  return concat(pieces, a);
}

// y = zeros with x placed at offset `before`:  dx = g sliced back on every padded axis
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& before,
           const std::vector<std::int64_t>& after) {
  const int rank = x.rank();
  if (static_cast<int>(before.size()) != rank || static_cast<int>(after.size()) != rank) {
    throw ShapeError("pad: got " + std::to_string(before.size()) + " before and " +
                     std::to_string(after.size()) + " after extents for input " + x.shape().str() +
                     " of rank " + std::to_string(rank) + "; give one of each per axis");
  }
  Shape out = x.shape();
  kernels::reference::Strides offset{};
  for (int a = 0; a < rank; ++a) {
    if (before[a] < 0 || after[a] < 0) {
      throw ValueError("pad: padding must be non-negative, got " + std::to_string(before[a]) +
                  " before and " + std::to_string(after[a]) + " after axis " + std::to_string(a) +
                  " of input " + x.shape().str() + " (use slice to crop)");
    }
    out[a] += before[a] + after[a];
    offset[a] = before[a];
  }
  Tensor y = Tensor::zeros(out, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    kernels::reference::pad_copy(x.shape(), x.data<T>(), out, offset, y.data<T>());
  });
  const Shape shape = x.shape();
  return record("pad", y, {x}, [before, after, shape](const Tensor& g, const BackwardContext&) -> Grads {
    Tensor dx = g;
    for (int a = 0; a < shape.rank(); ++a)
      if (before[a] != 0 || after[a] != 0) dx = slice(dx, a, before[a], before[a] + shape[a]);
    return {dx};
  });
}

}  // namespace attrax
