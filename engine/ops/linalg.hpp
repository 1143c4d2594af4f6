#pragma once
// Matrix products (Eigen for float32, the naive reference kernel for float64).
#include "engine/tensor.hpp"

namespace attrax {

// a: [M,K], b: [K,N] -> [M,N];  a: [B,M,K], b: [B,K,N] -> [B,M,N]
Tensor matmul(const Tensor& a, const Tensor& b);
// x: [N,in], w: [out,in], bias: [out] or undefined -> [N,out];  y = x wᵀ + bias
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor());

}  // namespace attrax
