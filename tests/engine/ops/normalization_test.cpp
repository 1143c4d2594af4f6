// Batch normalisation: values, running statistics, gradients of both orders in training and eval
// mode, bad input.
#include <doctest/doctest.h>

#include <cmath>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

Tensor vec(std::vector<double> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_data(values, {n});
}

}  // namespace

TEST_CASE("batch_norm normalises a tiny batch and updates the running statistics") {
  // x: [2, 2, 1, 2]; channel 0 holds {1, 3, 5, 7} (mean 4, biased var 5, unbiased 20/3),
  // channel 1 holds {10, 10, 20, 40} (mean 20, biased var 150, unbiased 200).
  const Tensor x = Tensor::from_data(std::vector<double>{1, 3, 10, 10, 5, 7, 20, 40}, {2, 2, 1, 2});
  const Tensor gamma = vec({1, 2}), beta = vec({0, 1});
  Tensor running_mean = vec({0, 0}), running_var = vec({1, 1});
  const Tensor y = batch_norm(x, gamma, beta, running_mean, running_var);

  const double s0 = 1 / std::sqrt(5 + 1e-5), s1 = 1 / std::sqrt(150 + 1e-5);
  const std::vector<double> expected{-3 * s0,          -1 * s0,          -10 * s1 * 2 + 1, -10 * s1 * 2 + 1,
                                     1 * s0,           3 * s0,           0 * s1 * 2 + 1,   20 * s1 * 2 + 1};
  const std::vector<double> got = y.to_vector();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));

  // running = 0.9 running + 0.1 batch, with the unbiased variance.
  CHECK(running_mean.at({0}) == doctest::Approx(0.4));
  CHECK(running_mean.at({1}) == doctest::Approx(2.0));
  CHECK(running_var.at({0}) == doctest::Approx(0.9 + 0.1 * 20.0 / 3.0));
  CHECK(running_var.at({1}) == doctest::Approx(0.9 + 0.1 * 200.0));
}

TEST_CASE("batch_norm of [N,C] input without affine parameters") {
  // channel 0: {0, 2} (mean 1, var 1); channel 1: {4, 6} (mean 5, var 1).
  const Tensor x = Tensor::from_data(std::vector<float>{0, 4, 2, 6}, {2, 2});
  const Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), {.eps = 0.0});
  CHECK(y.dtype() == DType::Float32);
  CHECK(y.to_vector() == std::vector<double>{-1, -1, 1, 1});
}

TEST_CASE("batch_norm eval mode uses the running statistics and leaves them unchanged") {
  const Tensor x = Tensor::from_data(std::vector<double>{1, 2, 3, 4}, {2, 2});
  Tensor running_mean = vec({1, 0}), running_var = vec({4, 16});
  const Tensor y = batch_norm(x, vec({2, 1}), vec({0, -1}), running_mean, running_var,
                              {.training = false, .eps = 0.0});
  // y = (x - mean) / sqrt(var) gamma + beta
  CHECK(y.to_vector() == std::vector<double>{0, 2.0 / 4 - 1, 2, 4.0 / 4 - 1});
  CHECK(running_mean.to_vector() == std::vector<double>{1, 0});
  CHECK(running_var.to_vector() == std::vector<double>{4, 16});
}

TEST_CASE("batch_norm float32 matches float64") {
  const Tensor x = random_normal({3, 2, 2, 2}, 1), gamma = random_normal({2}, 2), beta = random_normal({2}, 3);
  const std::vector<double> reference = batch_norm(x, gamma, beta, Tensor(), Tensor()).to_vector();
  const std::vector<double> fast = batch_norm(x.to(DType::Float32), gamma.to(DType::Float32),
                                              beta.to(DType::Float32), Tensor(), Tensor())
                                       .to_vector();
  for (std::size_t i = 0; i < fast.size(); ++i) CHECK(fast[i] == doctest::Approx(reference[i]).epsilon(1e-4));
}

TEST_CASE("batch_norm gradients in training mode") {
  check_gradients([](const Inputs& in) { return batch_norm(in[0], in[1], in[2], Tensor(), Tensor()); },
                    {random_normal({2, 3, 2, 2}, 4), random_normal({3}, 5), random_normal({3}, 6)});
  check_gradients([](const Inputs& in) { return batch_norm(in[0], in[1], in[2], Tensor(), Tensor()); },
                    {random_normal({4, 3}, 7), random_normal({3}, 8), random_normal({3}, 9)});
  check_gradients([](const Inputs& in) { return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor()); },
                    {random_normal({3, 2, 1, 2}, 10)});
  // Running statistics are updated but carry no gradient.
  Tensor running_mean = Tensor::zeros({3}, DType::Float64), running_var = Tensor::ones({3}, DType::Float64);
  check_gradients([&](const Inputs& in) { return batch_norm(in[0], in[1], in[2], running_mean, running_var); },
                    {random_normal({3, 3}, 11), random_normal({3}, 12), random_normal({3}, 13)});
}

TEST_CASE("batch_norm gradients in eval mode") {
  const Tensor running_mean = random_normal({3}, 14), running_var = vec({0.5, 1.0, 2.0});
  check_gradients([&](const Inputs& in) {
    return batch_norm(in[0], in[1], in[2], running_mean, running_var, {.training = false});
  }, {random_normal({2, 3, 2, 2}, 15), random_normal({3}, 16), random_normal({3}, 17)});
  // Squaring makes the second derivative in x and gamma non-zero.
  check_gradients([&](const Inputs& in) {
    const Tensor y = batch_norm(in[0], in[1], in[2], running_mean, running_var, {.training = false});
    return y * y;
  }, {random_normal({2, 3}, 18), random_normal({3}, 19), random_normal({3}, 20)});
}

TEST_CASE("batch_norm bad input names the op and shapes") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  CHECK_THROWS_WITH_AS(batch_norm(Tensor::zeros({2, 3, 4}), Tensor(), Tensor(), Tensor(), Tensor()),
                       doctest::Contains("batch_norm: input must be [N,C] or [N,C,H,W], got shape [2, 3, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(batch_norm(x, Tensor::ones({4}), Tensor(), Tensor(), Tensor()),
                       doctest::Contains("batch_norm: gamma must have shape [3] (the channels of input [2, 3, 4, 4]), got [4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(batch_norm(x, Tensor(), Tensor::zeros({3}, DType::Float64), Tensor(), Tensor()),
                       doctest::Contains("batch_norm: beta [3] (float64) must have the dtype of the input"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(batch_norm(Tensor::zeros({1, 3}), Tensor(), Tensor(), Tensor(), Tensor()),
                       doctest::Contains("batch_norm: expected more than 1 value per channel when training, got input [1, 3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(batch_norm(x, Tensor(), Tensor(), Tensor::zeros({3}), Tensor(), {.training = false}),
                       doctest::Contains("batch_norm: eval mode normalises with running_mean and running_var, but running_var is undefined"),
                       Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), {.momentum = 1.5}),
                       doctest::Contains("batch_norm: momentum must lie in [0, 1]"), ValueError);
}
