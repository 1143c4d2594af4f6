// Reductions: values over all and chosen axes, keepdim, ties in max, broadcasting's inverse pair,
// first- and second-order gradients, bad input.
#include <cmath>
#include <vector>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

// [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]
const Tensor kCube = Tensor::arange(0, 12, 1, DType::Float64).reshape({2, 2, 3});

}  // namespace

TEST_CASE("reduction values over all and chosen axes") {
  CHECK(sum(kCube).item() == 66);
  CHECK(mean(kCube).item() == 5.5);
  CHECK(max(kCube).item() == 11);
  CHECK(sum(kCube, {0, 2}).to_vector() == std::vector<double>{24, 42});
  CHECK(sum(kCube, {-1}, true).shape() == Shape{2, 2, 1});
  CHECK(mean(kCube, {1}).to_vector() == std::vector<double>{1.5, 2.5, 3.5, 7.5, 8.5, 9.5});
  CHECK(max(kCube, {1, 2}).to_vector() == std::vector<double>{5, 11});
  const Tensor lse = logsumexp(kCube, {2});
  CHECK(lse.shape() == Shape{2, 2});
  CHECK(lse.at({1, 1}) == doctest::Approx(11 + std::log(1 + std::exp(-1.0) + std::exp(-2.0))));
  // Stable where a naive exp would overflow.
  const Tensor big = Tensor::from_data(std::vector<double>{1000, 1000}, {2});
  CHECK(logsumexp(big, {0}).item() == doctest::Approx(1000 + std::log(2.0)));
}

TEST_CASE("reduction max shares the gradient among ties, as torch.amax") {
  Tensor x = Tensor::from_data(std::vector<double>{1, 3, 3, 2}, {4}).requires_grad_();
  CHECK(grad({max(x)}, {x})[0].to_vector() == std::vector<double>{0, 0.5, 0.5, 0});
}

TEST_CASE("reduction sum_to and broadcast_to are each other's inverse pair") {
  const Tensor x = Tensor::from_data(std::vector<double>{1, 2, 3}, {3, 1});
  const Tensor wide = broadcast_to(x, {2, 3, 4});
  CHECK(wide.shape() == Shape{2, 3, 4});
  CHECK(wide.at({1, 2, 3}) == 3);
  CHECK(sum_to(wide, {3, 1}).to_vector() == std::vector<double>{8, 16, 24});
  CHECK(sum_to(wide, {4}).to_vector() == std::vector<double>{12, 12, 12, 12});
}

TEST_CASE("reduction gradients of first and second order") {
  const Tensor x = random_normal({2, 3, 4}, 1);
  check_gradients([](const Inputs& in) { return sum(in[0] * in[0]); }, {x});
  check_gradients([](const Inputs& in) { return sum(in[0], {0, 2}) * 2.0; }, {x});
  check_gradients([](const Inputs& in) { return mean(in[0], {1}, true) * in[0]; }, {x});
  check_gradients([](const Inputs& in) { return max(in[0], {2}); }, {x});
  check_gradients([](const Inputs& in) { return max(in[0]) * max(in[0]); }, {x});
  check_gradients([](const Inputs& in) { return logsumexp(in[0], {1}); }, {x});
  check_gradients([](const Inputs& in) { return broadcast_to(in[0], {2, 3, 4}); }, {random_normal({3, 1}, 2)});
  check_gradients([](const Inputs& in) { return sum_to(in[0], {3, 1}); }, {x});
}

TEST_CASE("reduction bad input names the op and the axes") {
  CHECK_THROWS_WITH_AS(sum(kCube, {3}), doctest::Contains("sum: axis 3 is out of range for a tensor of rank 3"),
                       IndexError);
  CHECK_THROWS_WITH_AS(sum(kCube, {1, -2}), doctest::Contains("sum: an axis is repeated"), IndexError);
  CHECK_THROWS_WITH_AS(sum(kCube, {0, 1, 2, 0, 1, 2, 0}), doctest::Contains("more than 6 axes"), IndexError);
  CHECK_THROWS_WITH_AS(kCube.reshape({1, 1, 1, 1, 1, 2, 6}),
                       doctest::Contains("reshape: 7 target extents, more than the 6"), ShapeError);
  // A std::vector of axes and a braced list reduce alike.
  CHECK(sum(kCube, std::vector<int>{2, 0}).to_vector() == sum(kCube, {0, 2}).to_vector());
  CHECK_THROWS_WITH_AS(mean(Tensor::zeros({0, 3})), doctest::Contains("mean: cannot average an empty tensor"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(max(Tensor::zeros({2, 0}), {1}), doctest::Contains("max: cannot take the maximum of an empty"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(sum_to(kCube, {4}), doctest::Contains("sum_to: cannot reduce [2, 2, 3] to [4]"), ShapeError);
  CHECK_THROWS_WITH_AS(broadcast_to(kCube, {2, 3}), doctest::Contains("broadcast_to: cannot broadcast"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(sum(Tensor::zeros({2}, DType::Int64)), doctest::Contains("sum: input must be float32"),
                       DTypeError);
}
