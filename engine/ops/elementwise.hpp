#pragma once
// Elementwise ops. Binary ops broadcast as NumPy does (trailing axes aligned; extents equal or 1).
// Comparisons return 0/1 masks of the same float dtype and carry no gradient.
#include "engine/tensor.hpp"

namespace attrax {

// a: [...A], b: [...B] -> [broadcast(A, B)]
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// Elementwise min/max; at ties the gradient is split evenly between a and b (as PyTorch).
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
// cond ? a : b, where cond is a 0/1 mask (any non-zero counts as true); all three broadcast.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// Masks (no gradient): 1 where the relation holds, else 0.
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
// 1 where x > 0, else 0 (the derivative of relu, as a constant mask).
Tensor step(const Tensor& x);

// x: [...] -> [...]
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
// Limits x to [lo, hi]; the gradient passes where lo <= x <= hi.
Tensor clamp(const Tensor& x, double lo, double hi);

// A rank-0 tensor of x's dtype, for scalar arithmetic.
Tensor scalar_like(const Tensor& x, double value);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

}  // namespace attrax
