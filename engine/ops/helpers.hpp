#pragma once
// Shared checks and forward loops for op implementations (not part of the public API).
#include <string>

#include "engine/kernels/dispatch.hpp"
#include "engine/tensor.hpp"

namespace attrax::detail {

// "[2, 3] (float32)"
std::string describe(const Tensor& t);
// Throws unless t is defined and of a float dtype.
void check_floating(const char* op, const Tensor& t, const char* role = "input");
// Throws unless a and b are both float and of the same dtype.
void check_same_float_dtype(const char* op, const Tensor& a, const Tensor& b);
// Throws unless t is a defined int64 tensor.
void check_index(const char* op, const Tensor& t, const char* role);
// Throws unless t has the given rank.
void check_rank(const char* op, const Tensor& t, int rank, const char* role, const char* layout);
// NumPy broadcast of two shapes; ShapeError naming op and both shapes when they do not fit.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// y[i] = f(x[i]) for a float tensor; f is a generic lambda (called with float or double).
template <class F>
Tensor unary_map(const char* op, const Tensor& x, F f) {
  check_floating(op, x);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  visit_floating(x.dtype(), op, [&]<class T>() {
    kernels::map(x.numel(), x.data<T>(), y.data<T>(), [&](T v) { return T(f(v)); });
  });
  return y;
}

// y = f(a, b) with broadcasting, for two float tensors of one dtype.
template <class F>
Tensor binary_map(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_same_float_dtype(op, a, b);
  const Shape out = broadcast_shapes(op, a.shape(), b.shape());
  Tensor y = Tensor::empty(out, a.dtype());
  visit_floating(a.dtype(), op, [&]<class T>() {
    kernels::binary(out, a.shape(), a.data<T>(), b.shape(), b.data<T>(), y.data<T>(),
                               [&](T u, T v) { return T(f(u, v)); });
  });
  return y;
}

}  // namespace attrax::detail
