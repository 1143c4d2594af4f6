// Pooling: max (first maximum wins), average (padding counted), global average. Values, the
// average pooling adjoint, first- and second-order gradients, bad options.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;
using Values = std::vector<double>;

namespace {

Tensor values(const Values& v, const Shape& shape) { return Tensor::from_data(v, shape); }

Pool2dOptions pool(std::int64_t k, std::int64_t s = 0, std::int64_t p = 0) {
  return {.kernel = {k, k}, .stride = {s, s}, .padding = {p, p}};
}

double dot(const Tensor& a, const Tensor& b) { return sum(a * b).item(); }

// d(Σ dy ⊙ f(x))/dx
Tensor input_grad(const std::function<Tensor(const Tensor&)>& f, const Tensor& x, const Tensor& dy) {
  const Tensor leaf = x.detach().clone().requires_grad_();
  return grad({f(leaf)}, {leaf}, {dy})[0];
}

}  // namespace

TEST_CASE("pool: max_pool2d takes the first maximum of each window") {
  const Tensor x = values({1, 3, 2, 2,
                           3, 0, 2, 1,
                           5, 6, 7, 8,
                           6, 4, 8, 0}, {1, 1, 4, 4});
  const Tensor y = max_pool2d(x, pool(2));
  REQUIRE(y.shape() == Shape{1, 1, 2, 2});
  CHECK(y.to_vector() == Values{3, 2, 6, 8});
  // Ties: each window's gradient lands on its first maximum in row-major order only.
  const Tensor dx = input_grad([](const Tensor& t) { return max_pool2d(t, pool(2)); }, x,
                               values({1, 2, 3, 4}, {1, 1, 2, 2}));
  CHECK(dx.to_vector() == Values{0, 1, 2, 0,
                                 0, 0, 0, 0,
                                 0, 3, 0, 4,
                                 0, 0, 0, 0});
  // Overlapping 2x2 windows at stride 1.
  CHECK(max_pool2d(x, pool(2, 1)).to_vector() == Values{3, 3, 2, 6, 7, 8, 6, 8, 8});
  CHECK(max_pool2d(x.to(DType::Float32), pool(2)).to_vector() == Values{3, 2, 6, 8});
}

TEST_CASE("pool: max_pool2d pads with -inf and accumulates over overlapping windows") {
  const Tensor x = values({0, 1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 3, 3});
  // Every 3x3 window (stride 1, padding 1) peaks at its lower-right valid element.
  CHECK(max_pool2d(x, pool(3, 1, 1)).to_vector() == Values{4, 5, 5, 7, 8, 8, 7, 8, 8});
  const Tensor dx = input_grad([](const Tensor& t) { return max_pool2d(t, pool(3, 1, 1)); }, x,
                               Tensor::ones({1, 1, 3, 3}, DType::Float64));
  CHECK(dx.to_vector() == Values{0, 0, 0, 0, 1, 2, 0, 2, 4});
  // Negative inputs: padding never wins (k=2, stride 2, padding 1 gives a 2x2 output).
  CHECK(max_pool2d(x - 10.0, pool(2, 2, 1)).to_vector() == Values{-10, -8, -4, -2});
}

TEST_CASE("pool: gradients of max_pool2d") {
  // Gaussian inputs have no ties, so the pooling is smooth around them.
  check_gradients([](const Inputs& in) { return max_pool2d(in[0], pool(2)); }, {random_normal({2, 2, 4, 4}, 1)});
  check_gradients([](const Inputs& in) { return max_pool2d(in[0], pool(3, 2, 1)); }, {random_normal({1, 2, 5, 5}, 2)});
  check_gradients([](const Inputs& in) {
    const Tensor y = max_pool2d(in[0], {.kernel = {2, 3}, .stride = {1, 2}, .padding = {1, 0}});
    return y * y;
  }, {random_normal({1, 1, 4, 5}, 3)});
}

TEST_CASE("pool: avg_pool2d counts padding in the divisor") {
  const Tensor x = values({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  // torch.nn.functional.avg_pool2d(x, 2, 2, 1) = [[1/4, (2+3)/4], [(4+7)/4, (5+6+8+9)/4]]
  CHECK(avg_pool2d(x, pool(2, 2, 1)).to_vector() == Values{0.25, 1.25, 2.75, 7.0});
  CHECK(avg_pool2d(x, pool(2)).to_vector() == Values{3.0});
  const Tensor ones = avg_pool2d(Tensor::ones({1, 1, 3, 3}, DType::Float64), pool(3, 1, 1));
  for (std::int64_t i = 0; i < 9; ++i) {
    const double expected = i == 4 ? 1.0 : (i % 2 == 1 ? 6.0 / 9.0 : 4.0 / 9.0);
    CHECK(ones.to_vector()[i] == doctest::Approx(expected));
  }
  CHECK(global_avg_pool2d(x).shape() == Shape{1, 1});
  CHECK(global_avg_pool2d(x).item() == doctest::Approx(5.0));
  CHECK(global_avg_pool2d(values({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 1, 2})).to_vector() ==
        Values{1.5, 3.5, 5.5, 7.5});
}

TEST_CASE("pool: avg_pool2d_adjoint is the exact adjoint of avg_pool2d") {
  const Pool2dOptions cases[] = {pool(2), pool(3, 1, 1), pool(3, 2, 1),
                                 {.kernel = {2, 3}, .stride = {1, 2}, .padding = {1, 1}}};
  for (const Pool2dOptions& o : cases) {
    const Tensor x = random_normal({2, 2, 5, 6}, 4);
    const Tensor y = avg_pool2d(x, o);
    const Tensor dy = random_normal(y.shape(), 5);
    CHECK(dot(y, dy) == doctest::Approx(dot(x, avg_pool2d_adjoint(dy, o, 5, 6))).epsilon(1e-12));
  }
  // dx = dy / 4 on each non-overlapping 2x2 window.
  CHECK(avg_pool2d_adjoint(values({4, 8}, {1, 1, 1, 2}), pool(2), 2, 4).to_vector() ==
        Values{1, 1, 2, 2, 1, 1, 2, 2});
}

TEST_CASE("pool: gradients of average pooling") {
  check_gradients([](const Inputs& in) { return avg_pool2d(in[0], pool(2, 2, 1)); }, {random_normal({1, 2, 5, 4}, 6)});
  check_gradients([](const Inputs& in) { return avg_pool2d_adjoint(in[0], pool(3, 2, 1), 5, 4); },
                    {random_normal({1, 2, 3, 2}, 7)});
  check_gradients([](const Inputs& in) {
    const Tensor y = avg_pool2d(in[0], pool(3, 1, 1));
    return y * y;
  }, {random_normal({1, 1, 4, 4}, 8)});
  check_gradients([](const Inputs& in) {
    const Tensor y = global_avg_pool2d(in[0]);
    return y * y;
  }, {random_normal({2, 3, 2, 3}, 9)});
}

TEST_CASE("pool: bad options and inputs name the op") {
  const Tensor x = Tensor::zeros({1, 1, 4, 4});
  CHECK_THROWS_WITH_AS(max_pool2d(x, pool(3, 1, 2)),
                       doctest::Contains("max_pool2d: padding 2x2 must be between 0 and half the kernel 3x3"),
                       ValueError);
  CHECK_THROWS_WITH_AS(avg_pool2d(x, pool(2, 1, -1)),
                       doctest::Contains("avg_pool2d: padding -1x-1 must be between 0 and half the kernel 2x2"),
                       ValueError);
  CHECK_THROWS_WITH_AS(max_pool2d(x, pool(0)), doctest::Contains("max_pool2d: kernel must be positive, got 0x0"),
                       ValueError);
  CHECK_THROWS_WITH_AS(max_pool2d(x, pool(2, -1)),
                       doctest::Contains("max_pool2d: stride must be non-negative (0 means equal to the kernel)"),
                       ValueError);
  CHECK_THROWS_WITH_AS(max_pool2d(x, pool(5)),
                       doctest::Contains("max_pool2d: input [1, 1, 4, 4] is smaller than the kernel 5x5 with "
                                         "padding 0x0"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(max_pool2d(Tensor::zeros({4, 4}), pool(2)),
                       doctest::Contains("max_pool2d: input must have rank 4 [N,C,H,W], got shape [4, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(max_pool2d(Tensor::zeros({1, 1, 4, 4}, DType::Int64), pool(2)),
                       doctest::Contains("max_pool2d: input must be float32 or float64, got int64"), DTypeError);
  CHECK_THROWS_WITH_AS(avg_pool2d(Tensor::zeros({1, 1, 4, 4}, DType::Int64), pool(2)),
                       doctest::Contains("avg_pool2d: input must be float32 or float64, got int64"), DTypeError);
  CHECK_THROWS_WITH_AS(global_avg_pool2d(Tensor::zeros({1, 4, 4})),
                       doctest::Contains("global_avg_pool2d: input must have rank 4 [N,C,H,W], got shape [1, 4, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(avg_pool2d_adjoint(Tensor::zeros({1, 1, 3, 3}), pool(2), 4, 4),
                       doctest::Contains("avg_pool2d_adjoint: gradient [1, 1, 3, 3] does not match the "
                                         "[1, 1, 2, 2] output of pooling an input [1, 1, 4, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(avg_pool2d_adjoint(Tensor::zeros({1, 1, 2, 2}), pool(2), 0, 4),
                       doctest::Contains("avg_pool2d_adjoint: input size 0x4 must be positive"), ShapeError);
}
