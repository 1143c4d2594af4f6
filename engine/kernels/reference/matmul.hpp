#pragma once
// Naive matrix product: the oracle for every fast matmul path.
#include <cstdint>

namespace attrax::kernels::reference {

// c[M,N] = a[M,K] b[K,N]
template <class T>
void matmul(std::int64_t M, std::int64_t K, std::int64_t N, const T* a, const T* b, T* c) {
  for (std::int64_t i = 0; i < M; ++i) {
    for (std::int64_t j = 0; j < N; ++j) {
      T acc = 0;
      for (std::int64_t k = 0; k < K; ++k) acc += a[i * K + k] * b[k * N + j];
      c[i * N + j] = acc;
    }
  }
}

// c[M,N] = a[M,K] b[N,K]ᵀ: c[i,j] = Σ_k a[i,k] b[j,k] (a linear layer with b its [out,in] weight)
template <class T>
void matmul_transposed_b(std::int64_t M, std::int64_t K, std::int64_t N, const T* a, const T* b,
                         T* c) {
  for (std::int64_t i = 0; i < M; ++i) {
    for (std::int64_t j = 0; j < N; ++j) {
      T acc = 0;
      for (std::int64_t k = 0; k < K; ++k) acc += a[i * K + k] * b[j * K + k];
      c[i * N + j] = acc;
    }
  }
}

}  // namespace attrax::kernels::reference
