#include <Eigen/Core>

#include "engine/kernels/matmul_eigen.hpp"

namespace attrax::kernels {

namespace {
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

void matmul_eigen(std::int64_t M, std::int64_t K, std::int64_t N, const float* a, const float* b,
                  float* c) {
  Eigen::Map<const Matrix> A(a, M, K), B(b, K, N);
  Eigen::Map<Matrix> C(c, M, N);
  C.noalias() = A * B;
}

void matmul_transposed_b_eigen(std::int64_t M, std::int64_t K, std::int64_t N, const float* a,
                               const float* b, float* c) {
  Eigen::Map<const Matrix> A(a, M, K), B(b, N, K);
  Eigen::Map<Matrix> C(c, M, N);
  C.noalias() = A * B.transpose();
}

}  // namespace attrax::kernels
