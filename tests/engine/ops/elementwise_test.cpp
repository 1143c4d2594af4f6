// Elementwise ops: values, broadcasting, first- and second-order gradients, bad input.
#include <doctest/doctest.h>

#include <cmath>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

TEST_CASE("binary ops broadcast as NumPy") {
  const Tensor a = Tensor::from_data(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_data(std::vector<float>{10, 20, 30}, {3});
  const Tensor c = Tensor::from_data(std::vector<float>{100, 200}, {2, 1});
  CHECK((a + b).to_vector() == std::vector<double>{11, 22, 33, 14, 25, 36});
  CHECK((a * c).to_vector() == std::vector<double>{100, 200, 300, 800, 1000, 1200});
  CHECK((b - c).shape() == Shape{2, 3});
  CHECK((a / 2.0).at({1, 2}) == doctest::Approx(3.0));
  CHECK((1.0 - a).at({0, 0}) == doctest::Approx(0.0));
}

TEST_CASE("unary ops compute their functions") {
  const Tensor x = Tensor::from_data(std::vector<double>{-2, -0.5, 0, 0.5, 2}, {5});
  CHECK(abs(x).to_vector() == std::vector<double>{2, 0.5, 0, 0.5, 2});
  CHECK(sign(x).to_vector() == std::vector<double>{-1, -1, 0, 1, 1});
  CHECK(clamp(x, -1, 1).to_vector() == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  CHECK(exp(x).at({4}) == doctest::Approx(std::exp(2.0)));
  CHECK(pow(x, 3).at({0}) == doctest::Approx(-8.0));
  CHECK(maximum(x, neg(x)).to_vector() == std::vector<double>{2, 0.5, 0, 0.5, 2});
  CHECK(where(gt(x, scalar_like(x, 0)), x, scalar_like(x, 7)).to_vector() ==
        std::vector<double>{7, 7, 7, 0.5, 2});
}

TEST_CASE("gradients of binary ops with broadcasting") {
  const Tensor a = random_normal({2, 3, 4}, 1), b = random_normal({3, 1}, 2);
  check_gradients([](const Inputs& in) { return in[0] + in[1]; }, {a, b});
  check_gradients([](const Inputs& in) { return in[0] - in[1]; }, {a, b});
  check_gradients([](const Inputs& in) { return in[0] * in[1]; }, {a, b});
  check_gradients([](const Inputs& in) { return in[0] / in[1]; }, {a, random_uniform({3, 1}, 0.5, 2, 3)});
  check_gradients([](const Inputs& in) { return minimum(in[0], in[1]); }, {a, b});
  check_gradients([](const Inputs& in) { return maximum(in[0], in[1]); }, {a, b});
  check_gradients([](const Inputs& in) { return where(in[2], in[0], in[1]); },
                    {a, b, gt(random_normal({4}, 5), Tensor::scalar(0.0, DType::Float64))});
}

TEST_CASE("gradients of unary ops") {
  const Tensor x = random_normal({3, 5}, 4), positive = random_uniform({3, 5}, 0.3, 3, 6);
  check_gradients([](const Inputs& in) { return neg(in[0]); }, {x});
  check_gradients([](const Inputs& in) { return exp(in[0]); }, {x});
  check_gradients([](const Inputs& in) { return log(in[0]); }, {positive});
  check_gradients([](const Inputs& in) { return sqrt(in[0]); }, {positive});
  check_gradients([](const Inputs& in) { return pow(in[0], 2.5); }, {positive});
  check_gradients([](const Inputs& in) { return pow(in[0], 3); }, {x});
  check_gradients([](const Inputs& in) { return abs(in[0]); }, {x});
  check_gradients([](const Inputs& in) { return sign(in[0]) * in[0]; }, {x});
  check_gradients([](const Inputs& in) { return clamp(in[0], -0.5, 0.7); }, {x});
}

TEST_CASE("bad input to elementwise ops names the op and shapes") {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  CHECK_THROWS_WITH_AS(a + b,
                       doctest::Contains("add: cannot broadcast shapes [2, 3] and [4]"), ShapeError);
  CHECK_THROWS_WITH_AS(a * Tensor::zeros({2, 3}, DType::Float64),
                       doctest::Contains("mul: inputs have different dtypes"), DTypeError);
  CHECK_THROWS_WITH_AS(exp(Tensor::zeros({2}, DType::Int64)),
                       doctest::Contains("exp: input must be float32 or float64, got int64"), DTypeError);
  CHECK_THROWS_WITH_AS(clamp(a, 1, 0), doctest::Contains("clamp: lower bound"), ValueError);
}
