// gather, scatter_add and index_select: the indexing ops of shape_ops.hpp. gather and scatter_add
// are each other's adjoint, so their VJPs close under differentiation.
#include <string>

#include "engine/autograd.hpp"
#include "engine/kernels/reference/layout.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/shape_ops.hpp"

namespace attrax {

namespace {

// Throws unless index is int64 with x's rank and no larger than x on every axis but `axis`.
void check_index_shape(const char* op, const Tensor& x, int axis, const Tensor& index) {
  detail::check_index(op, index, "index");
  if (index.rank() != x.rank()) {
    throw ShapeError(std::string(op) + ": index " + index.shape().str() + " must have the rank of " +
                     "input " + x.shape().str() + " (" + std::to_string(x.rank()) + ")");
  }
  for (int a = 0; a < x.rank(); ++a) {
    if (a != axis && index.shape()[a] > x.shape()[a]) {
      throw ShapeError(std::string(op) + ": index " + index.shape().str() + " has extent " +
                       std::to_string(index.shape()[a]) + " on axis " + std::to_string(a) +
                       " but input " + x.shape().str() + " has only " +
                       std::to_string(x.shape()[a]) + " (only axis " + std::to_string(axis) +
                       ", the indexed one, may be larger)");
    }
  }
}

// Throws IndexError naming the first index value outside [0, x.shape[axis]).
void check_index_values(const char* op, const Tensor& x, int axis, const Tensor& index) {
  const std::int64_t extent = x.shape()[axis];
  const std::int64_t* values = index.data<std::int64_t>();
  for (std::int64_t i = 0; i < index.numel(); ++i) {
    if (values[i] < 0 || values[i] >= extent) {
      throw IndexError(std::string(op) + ": index value " + std::to_string(values[i]) +
                       " at position " + std::to_string(i) + " is outside [0, " +
                       std::to_string(extent) + ") for axis " + std::to_string(axis) + " of input " +
                       x.shape().str());
    }
  }
}

// t zero-padded at the end of each axis up to `shape`.
Tensor pad_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  std::vector<std::int64_t> before(shape.rank(), 0), after(shape.rank(), 0);
  for (int a = 0; a < shape.rank(); ++a) after[a] = shape[a] - t.shape()[a];
  return pad(t, before, after);
}

}  // namespace

// y[i] = x[i with i_axis -> index[i]]:  dx = scatter_add(zeros, axis, index, g)
Tensor gather(const Tensor& x, int axis, const Tensor& index) {
  const int a = normalize_axis(axis, x.rank(), "gather");
  check_index_shape("gather", x, a, index);
  check_index_values("gather", x, a, index);
  Tensor y = Tensor::empty(index.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    kernels::reference::gather(x.shape(), x.data<T>(), a, index.shape(),
                               index.data<std::int64_t>(), y.data<T>());
  });
  const Shape shape = x.shape();
  return record("gather", y, {x}, [a, index, shape](const Tensor& g, const BackwardContext&) -> Grads {
    return {scatter_add(Tensor::zeros(shape, g.dtype()), a, index, g)};
  });
}

// y = x;  y[i with i_axis -> index[i]] += src[i]:  dx = g,  dsrc = gather(g, axis, index)
Tensor scatter_add(const Tensor& x, int axis, const Tensor& index, const Tensor& src) {
  detail::check_floating("scatter_add", x, "input");
  detail::check_floating("scatter_add", src, "src");
  if (src.dtype() != x.dtype()) {
    throw DTypeError("scatter_add: src " + detail::describe(src) + " must have the dtype of input " +
                     detail::describe(x) + "; convert one with .to()");
  }
  const int a = normalize_axis(axis, x.rank(), "scatter_add");
  check_index_shape("scatter_add", x, a, index);
  bool covered = src.rank() == index.rank();
  for (int d = 0; covered && d < index.rank(); ++d) covered = index.shape()[d] <= src.shape()[d];
  if (!covered) {
    throw ShapeError("scatter_add: src " + src.shape().str() + " must have the rank of index " +
                     index.shape().str() + " and be at least as large on every axis");
  }
  check_index_values("scatter_add", x, a, index);
  Tensor y = x.clone();
  visit_floating(x.dtype(), "scatter_add", [&]<class T>() {
    kernels::reference::scatter_add(y.shape(), y.data<T>(), a, index.shape(),
                                    index.data<std::int64_t>(), src.shape(), src.data<T>());
  });
  const Shape src_shape = src.shape();
  return record("scatter_add", y, {x, src},
                [a, index, src_shape](const Tensor& g, const BackwardContext& ctx) -> Grads {
                  return {ctx.needs_input_grad(0) ? g : Tensor(),
                          ctx.needs_input_grad(1) ? pad_to(gather(g, a, index), src_shape) : Tensor()};
                });
}

// y = gather(x, axis, index repeated over x's other axes):  x with extent M on axis
Tensor index_select(const Tensor& x, int axis, const Tensor& index) {
  const int a = normalize_axis(axis, x.rank(), "index_select");
  detail::check_index("index_select", index, "index");
  detail::check_rank("index_select", index, 1, "index", "[M]");
  check_index_values("index_select", x, a, index);
  Shape shape = x.shape();
  shape[a] = index.numel();
  std::int64_t inner = 1;
  for (int d = a + 1; d < x.rank(); ++d) inner *= shape[d];
  Tensor expanded = Tensor::empty(shape, DType::Int64);
  const std::int64_t* picks = index.data<std::int64_t>();
  std::int64_t* out = expanded.data<std::int64_t>();
  // expanded[..., m, ...] = index[m]
  for (std::int64_t i = 0; i < expanded.numel(); ++i) out[i] = picks[(i / inner) % shape[a]];
  return gather(x, a, expanded);
}

}  // namespace attrax
