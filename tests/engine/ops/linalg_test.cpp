// Matrix products: values, the float32 Eigen path against the float64 reference, gradients of both
// orders, bad input.
#include <doctest/doctest.h>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

TEST_CASE("linalg matmul multiplies small integer matrices") {
  const Tensor a = Tensor::from_data(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_data(std::vector<double>{7, 8, 9, 10, 11, 12}, {3, 2});
  const Tensor c = matmul(a, b);
  CHECK(c.shape() == Shape{2, 2});
  CHECK(c.to_vector() == std::vector<double>{58, 64, 139, 154});
  // float32 goes through Eigen.
  CHECK(matmul(a.to(DType::Float32), b.to(DType::Float32)).to_vector() ==
        std::vector<double>{58, 64, 139, 154});
}

TEST_CASE("linalg batched matmul multiplies each pair of matrices") {
  const Tensor a = Tensor::from_data(std::vector<double>{1, 2, 3, 4, 0, 1, 1, 0}, {2, 2, 2});
  const Tensor b = Tensor::from_data(std::vector<double>{1, 1, 2, 3}, {2, 2, 1});
  const Tensor c = matmul(a, b);
  CHECK(c.shape() == Shape{2, 2, 1});
  CHECK(c.to_vector() == std::vector<double>{3, 7, 3, 2});
}

TEST_CASE("linalg float32 Eigen matmul equals the float64 reference") {
  const Tensor a = random_normal({5, 7}, 1), b = random_normal({7, 4}, 2);
  const std::vector<double> reference = matmul(a, b).to_vector();
  const std::vector<double> fast = matmul(a.to(DType::Float32), b.to(DType::Float32)).to_vector();
  REQUIRE(fast.size() == reference.size());
  for (std::size_t i = 0; i < fast.size(); ++i) CHECK(fast[i] == doctest::Approx(reference[i]).epsilon(1e-5));
}

TEST_CASE("linalg linear computes x wᵀ + bias") {
  const Tensor x = Tensor::from_data(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor w = Tensor::from_data(std::vector<double>{1, 0, 0, 0, 1, 1}, {2, 3});
  const Tensor bias = Tensor::from_data(std::vector<double>{10, 20}, {2});
  CHECK(linear(x, w).to_vector() == std::vector<double>{1, 5, 4, 11});
  CHECK(linear(x, w, bias).to_vector() == std::vector<double>{11, 25, 14, 31});
  CHECK(linear(x.to(DType::Float32), w.to(DType::Float32), bias.to(DType::Float32)).to_vector() ==
        std::vector<double>{11, 25, 14, 31});
}

TEST_CASE("linalg gradients of matmul and linear") {
  check_gradients([](const Inputs& in) { return matmul(in[0], in[1]); },
                    {random_normal({2, 3}, 3), random_normal({3, 4}, 4)});
  check_gradients([](const Inputs& in) { return matmul(in[0], in[1]); },
                    {random_normal({2, 3, 2}, 5), random_normal({2, 2, 3}, 6)});
  check_gradients([](const Inputs& in) { return linear(in[0], in[1], in[2]); },
                    {random_normal({3, 4}, 7), random_normal({2, 4}, 8), random_normal({2}, 9)});
  check_gradients([](const Inputs& in) { return linear(in[0], in[1]); },
                    {random_normal({3, 4}, 10), random_normal({2, 4}, 11)});
  // A product of the input with itself has a non-zero second derivative.
  check_gradients([](const Inputs& in) { return linear(in[0], in[0] * 0.5, in[1]); },
                    {random_normal({3, 3}, 12), random_normal({3}, 13)});
}

TEST_CASE("linalg bad input names the op and shapes") {
  const Tensor a = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(matmul(a, Tensor::zeros({4, 5})),
                       doctest::Contains("matmul: cannot multiply [2, 3] by [4, 5]: inner extents 3 and 4 differ"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor::zeros({2, 3, 4})),
                       doctest::Contains("matmul: expects [M,K] @ [K,N] or [B,M,K] @ [B,K,N], got [2, 3] and [2, 3, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 1})),
                       doctest::Contains("matmul: batch extents differ"), ShapeError);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor::zeros({3, 2}, DType::Float64)),
                       doctest::Contains("matmul: inputs have different dtypes"), DTypeError);
  CHECK_THROWS_WITH_AS(linear(a, Tensor::zeros({4, 5})),
                       doctest::Contains("linear: input [2, 3] has 3 features but weight [4, 5] expects 5"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(linear(a, Tensor::zeros({4, 3}), Tensor::zeros({3})),
                       doctest::Contains("linear: bias must have shape [4]"), ShapeError);
  CHECK_THROWS_WITH_AS(linear(Tensor::zeros({3}), Tensor::zeros({4, 3})),
                       doctest::Contains("linear: input must have rank 2 [N,in], got shape [3]"), ShapeError);
  CHECK_THROWS_WITH_AS(linear(a, Tensor::zeros({4, 3}, DType::Float64)),
                       doctest::Contains("linear: weight [4, 3] (float64) must have the dtype of the input"),
                       DTypeError);
}
