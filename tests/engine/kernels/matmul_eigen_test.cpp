// The Eigen matrix products against the naive reference loops, over shapes with tails.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/attrax.hpp"
#include "engine/kernels/matmul_eigen.hpp"
#include "engine/kernels/reference/matmul.hpp"

using namespace attrax;

namespace {

// Largest |a - b| over two equally long vectors.
float max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0.f;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::fmax(worst, std::fabs(a[i] - b[i]));
  return worst;
}

}  // namespace

TEST_CASE("Eigen matmul and matmul with a transposed right operand match the reference") {
  Generator gen(11, 0);
  for (const auto [M, K, N] : {std::array<std::int64_t, 3>{1, 64, 10}, {3, 1, 5}, {17, 33, 9},
                               {128, 64, 10}, {5, 7, 1}}) {
    CAPTURE(M);
    CAPTURE(K);
    CAPTURE(N);
    std::vector<float> a(std::size_t(M * K)), b(std::size_t(K * N)), fast(std::size_t(M * N)),
        ref(fast.size());
    gen.fill_normal(a.data(), M * K);
    gen.fill_normal(b.data(), K * N);
    // Sums of K products of unit normals: errors of a few ulps of sqrt(K).
    const float tolerance = 1e-5f * float(K);

    kernels::matmul_eigen(M, K, N, a.data(), b.data(), fast.data());
    kernels::reference::matmul(M, K, N, a.data(), b.data(), ref.data());
    CHECK(max_difference(fast, ref) <= tolerance);

    // b read as [N,K]
    kernels::matmul_transposed_b_eigen(M, K, N, a.data(), b.data(), fast.data());
    kernels::reference::matmul_transposed_b(M, K, N, a.data(), b.data(), ref.data());
    CHECK(max_difference(fast, ref) <= tolerance);
    // c[i,j] = Σ_k a[i,k] b[j,k], spelled out for one entry
    double corner = 0;
    for (std::int64_t k = 0; k < K; ++k) corner += double(a[std::size_t((M - 1) * K + k)]) * b[std::size_t((N - 1) * K + k)];
    CHECK(ref.back() == doctest::Approx(corner).epsilon(1e-4));
  }
}
