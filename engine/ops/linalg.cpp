#include "engine/ops/linalg.hpp"

#include <vector>

#include "engine/autograd.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/reduction.hpp"
#include "engine/ops/shape_ops.hpp"

namespace attrax {

namespace {

// Throws unless t is a float tensor of ref's dtype.
void check_dtype_matches(const char* op, const Tensor& ref, const Tensor& t, const char* role) {
  detail::check_floating(op, t, role);
  if (t.dtype() != ref.dtype()) {
    throw DTypeError(std::string(op) + ": " + role + " " + detail::describe(t) +
                     " must have the dtype of the input " + detail::describe(ref) +
                     "; convert one with .to()");
  }
}

// The last two axes swapped: the transpose of a matrix or of each matrix in a batch.
Tensor matrix_transpose(const Tensor& x) { return transpose(x, x.rank() - 2, x.rank() - 1); }

// Checks the ranks, batch and inner extents of a @ b; returns the output shape.
Shape matmul_shape(const Tensor& a, const Tensor& b) {
  detail::check_same_float_dtype("matmul", a, b);
  if (a.rank() != b.rank() || (a.rank() != 2 && a.rank() != 3)) {
    throw ShapeError("matmul: expects [M,K] @ [K,N] or [B,M,K] @ [B,K,N], got " + a.shape().str() +
                     " and " + b.shape().str());
  }
  const int r = a.rank();
  if (a.size(r - 1) != b.size(r - 2)) {
    throw ShapeError("matmul: cannot multiply " + a.shape().str() + " by " + b.shape().str() +
                     ": inner extents " + std::to_string(a.size(r - 1)) + " and " +
                     std::to_string(b.size(r - 2)) + " differ");
  }
  if (r == 2) return Shape{a.size(0), b.size(1)};
  if (a.size(0) != b.size(0)) {
    throw ShapeError("matmul: batch extents differ in " + a.shape().str() + " @ " +
                     b.shape().str() + " (both inputs need the same B)");
  }
  return Shape{a.size(0), a.size(1), b.size(2)};
}

}  // namespace

// c = a b:  da = g bᵀ,  db = aᵀ g   (per matrix of a batch)
Tensor matmul(const Tensor& a, const Tensor& b) {
  const Shape out = matmul_shape(a, b);
  const int r = a.rank();
  const std::int64_t batch = r == 3 ? a.size(0) : 1;
  const std::int64_t M = a.size(r - 2), K = a.size(r - 1), N = b.size(r - 1);
  Tensor c = Tensor::empty(out, a.dtype());
  visit_floating(a.dtype(), "matmul", [&]<class T>() {
    for (std::int64_t i = 0; i < batch; ++i)
      kernels::matmul(M, K, N, a.data<T>() + i * M * K, b.data<T>() + i * K * N,
                      c.data<T>() + i * M * N);
  });
  return record("matmul", c, {a, b}, [a, b](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {ctx.needs_input_grad(0) ? matmul(g, matrix_transpose(b)) : Tensor(),
            ctx.needs_input_grad(1) ? matmul(matrix_transpose(a), g) : Tensor()};
  });
}

// y = x wᵀ + bias:  dx = g w,  dw = gᵀ x,  dbias = Σ_n g
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
  detail::check_floating("linear", x);
  detail::check_rank("linear", x, 2, "input", "[N,in]");
  check_dtype_matches("linear", x, w, "weight");
  detail::check_rank("linear", w, 2, "weight", "[out,in]");
  const std::int64_t N = x.size(0), in = x.size(1), out = w.size(0);
  if (w.size(1) != in) {
    throw ShapeError("linear: input " + x.shape().str() + " has " + std::to_string(in) +
                     " features but weight " + w.shape().str() + " expects " +
                     std::to_string(w.size(1)) + " (weight is [out, in])");
  }
  if (bias.defined()) {
    check_dtype_matches("linear", x, bias, "bias");
    if (!(bias.shape() == Shape{out})) {
      throw ShapeError("linear: bias must have shape [" + std::to_string(out) +
                       "] (the out features of weight " + w.shape().str() + "), got " +
                       bias.shape().str());
    }
  }
  Tensor y = Tensor::empty({N, out}, x.dtype());
  visit_floating(x.dtype(), "linear", [&]<class T>() {
    T* py = y.data<T>();
    kernels::matmul_transposed_b(N, in, out, x.data<T>(), w.data<T>(), py);
    if (!bias.defined()) return;
    const T* pb = bias.data<T>();
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t o = 0; o < out; ++o) py[n * out + o] += pb[o];
  });
  return record("linear", y, {x, w, bias}, [x, w](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {ctx.needs_input_grad(0) ? matmul(g, w) : Tensor(),
            ctx.needs_input_grad(1) ? matmul(transpose(g, 0, 1), x) : Tensor(),
            ctx.needs_input_grad(2) ? sum(g, {0}) : Tensor()};
  });
}

}  // namespace attrax
