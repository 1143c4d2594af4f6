// Nonlinearities: values (including PyTorch's conventions at 0 and past softplus's threshold),
// first- and second-order gradients, bad input.
#include <cmath>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

const Tensor kPoints = Tensor::from_data(std::vector<double>{-3, -0.5, 0, 0.5, 3}, {5});

void check_values(const Tensor& got, const std::vector<double>& expected) {
  const std::vector<double> values = got.to_vector();
  REQUIRE(values.size() == expected.size());
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == doctest::Approx(expected[i]).epsilon(1e-12));
}

}  // namespace

TEST_CASE("activation values") {
  check_values(relu(kPoints), {0, 0, 0, 0.5, 3});
  check_values(leaky_relu(kPoints, 0.1), {-0.3, -0.05, 0, 0.5, 3});
  check_values(sigmoid(kPoints), {1 / (1 + std::exp(3.0)), 1 / (1 + std::exp(0.5)), 0.5,
                                  1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-3.0))});
  check_values(tanh(kPoints), {std::tanh(-3.0), std::tanh(-0.5), 0, std::tanh(0.5), std::tanh(3.0)});
  check_values(softplus(kPoints, 2.0),
               {std::log1p(std::exp(-6.0)) / 2, std::log1p(std::exp(-1.0)) / 2, std::log(2.0) / 2,
                std::log1p(std::exp(1.0)) / 2, std::log1p(std::exp(6.0)) / 2});
  // Past the threshold (beta x > 20) softplus returns x itself, as PyTorch.
  check_values(softplus(Tensor::from_data(std::vector<double>{25}, {1})), {25});
  // Large negative inputs do not overflow.
  check_values(sigmoid(Tensor::from_data(std::vector<double>{-800}, {1})), {0});
}

TEST_CASE("activation relu passes no gradient at 0, as PyTorch") {
  Tensor x = Tensor::from_data(std::vector<double>{-1, 0, 1}, {3}).requires_grad_();
  CHECK(grad({sum(relu(x))}, {x})[0].to_vector() == std::vector<double>{0, 0, 1});
}

TEST_CASE("activation gradients of first and second order") {
  const Tensor x = random_normal({3, 4}, 1);
  check_gradients([](const Inputs& in) { return relu(in[0]); }, {x});
  check_gradients([](const Inputs& in) { return leaky_relu(in[0], 0.2); }, {x});
  check_gradients([](const Inputs& in) { return softplus(in[0]); }, {x});
  check_gradients([](const Inputs& in) { return softplus(in[0], 5.0); }, {x});
  check_gradients([](const Inputs& in) { return sigmoid(in[0]); }, {x});
  check_gradients([](const Inputs& in) { return tanh(in[0]); }, {x});
  // Composed so that the second derivative of relu (zero) meets a non-zero one.
  check_gradients([](const Inputs& in) { return relu(in[0]) * tanh(in[0]); }, {x});
}

TEST_CASE("activation softplus approaches relu as beta grows, with sigmoid(beta x) as its slope") {
  Tensor x = Tensor::from_data(std::vector<double>{-1, -0.1, 0.1, 1}, {4}).requires_grad_();
  const auto slope = grad({sum(softplus(x, 50.0))}, {x})[0].to_vector();
  const std::vector<double> values = softplus(x, 50.0).to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = x.to_vector()[i];
    CHECK(values[i] == doctest::Approx(std::max(v, 0.0)).epsilon(0.01));
    CHECK(slope[i] == doctest::Approx(1 / (1 + std::exp(-50 * v))));
  }
}

TEST_CASE("activation bad input names the op") {
  CHECK_THROWS_WITH_AS(relu(Tensor::zeros({2}, DType::Int64)),
                       doctest::Contains("relu: input must be float32 or float64, got int64"), DTypeError);
  CHECK_THROWS_WITH_AS(softplus(Tensor::zeros({2}), 0.0),
                       doctest::Contains("softplus: beta must be positive"), ValueError);
  CHECK_THROWS_WITH_AS(tanh(Tensor()), doctest::Contains("undefined"), Error);
}
