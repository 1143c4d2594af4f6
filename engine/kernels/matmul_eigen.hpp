#pragma once
#include <cstdint>

namespace attrax::kernels {

// c[M,N] = a[M,K] b[K,N] through Eigen (single-threaded: the engine owns threading).
void matmul_eigen(std::int64_t M, std::int64_t K, std::int64_t N, const float* a, const float* b,
                  float* c);
// c[M,N] = a[M,K] b[N,K]ᵀ through Eigen, reading b in place.
void matmul_transposed_b_eigen(std::int64_t M, std::int64_t K, std::int64_t N, const float* a,
                               const float* b, float* c);

}  // namespace attrax::kernels
