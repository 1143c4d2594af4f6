// The orthonormal 2-D DCT-II and its inverse as separable matrix products (Ahmed, Natarajan &
// Rao 1974): DCT2(x) = D_H x D_Wᵀ, IDCT2(X) = D_Hᵀ X D_W.
#include "adversarial/attacks/dct.hpp"

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

// y = x · m along the last axis: x [..., n], m [n, n] -> [..., n]
Tensor along_last_axis(const Tensor& x, const Tensor& m) {
  const std::int64_t n = x.size(-1);
  return matmul(x.reshape({-1, n}), m).reshape(x.shape());
}

// y = a · x · bᵀ over the last two axes, given aᵀ [H, H] and bᵀ [W, W]: the rows of x times bᵀ,
// then the columns (the rows of the transposed result) times aᵀ.
Tensor separable_product(const Tensor& x, const Tensor& a_transposed, const Tensor& b_transposed) {
  const int h_axis = x.rank() - 2, w_axis = x.rank() - 1;
  const Tensor along_w = along_last_axis(x, b_transposed);
  const Tensor along_h = along_last_axis(transpose(along_w, h_axis, w_axis), a_transposed);
  return transpose(along_h, h_axis, w_axis);
}

void check_image(const char* op, const Tensor& x) {
  if (!x.defined() || x.rank() < 2)
    throw ShapeError(std::string(op) + ": expected [..., H, W] (rank at least 2), got " +
                     (x.defined() ? x.shape().str() : std::string("an undefined tensor")));
}

// D or Dᵀ of the right size, in x's dtype.
Tensor dct_matrix_like(std::int64_t n, const Tensor& x, bool transposed) {
  const Tensor d = dct_matrix(n, x.dtype());
  return transposed ? transpose(d, 0, 1) : d;
}

}  // namespace

Tensor dct_matrix(std::int64_t n, DType dtype) {
  if (n < 1) throw ValueError("dct_matrix: size " + std::to_string(n) + " must be at least 1");
  std::vector<double> d(std::size_t(n * n));
  const double first = std::sqrt(1.0 / double(n)), rest = std::sqrt(2.0 / double(n));
  for (std::int64_t k = 0; k < n; ++k)
    for (std::int64_t i = 0; i < n; ++i)
      // D[k, i] = s_k cos(π (2i + 1) k / (2n))
      d[std::size_t(k * n + i)] =
          (k == 0 ? first : rest) *
          std::cos(std::numbers::pi * double(2 * i + 1) * double(k) / double(2 * n));
  return Tensor::from_data(d, {n, n}).to(dtype);
}

// DCT2(x) = D_H x D_Wᵀ
Tensor dct2(const Tensor& x) {
  check_image("dct2", x);
  return separable_product(x, dct_matrix_like(x.size(-2), x, true), dct_matrix_like(x.size(-1), x, true));
}

// IDCT2(X) = D_Hᵀ X D_W
Tensor idct2(const Tensor& x) {
  check_image("idct2", x);
  return separable_product(x, dct_matrix_like(x.size(-2), x, false), dct_matrix_like(x.size(-1), x, false));
}

}  // namespace attrax::adversarial
