// Softmax family and classification losses: values, gradients of both orders, bad input.
#include <doctest/doctest.h>

#include <cmath>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

Tensor labels(std::vector<std::int64_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_data(values, {n});
}

void check_close(const std::vector<double>& got, const std::vector<double>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-7));
}

// softmax([1, 2, 3]) and log_softmax([1, 2, 3]), from e / (e + e² + e³).
const std::vector<double> kSoftmax123{0.0900305731703805, 0.2447284710547976, 0.6652409557748219};
const std::vector<double> kLogSoftmax123{-2.4076059644443806, -1.4076059644443806, -0.4076059644443804};

}  // namespace

TEST_CASE("softmax of [1, 2, 3]") {
  const Tensor x = Tensor::from_data(std::vector<double>{1, 2, 3}, {3});
  check_close(softmax(x).to_vector(), kSoftmax123);
  check_close(log_softmax(x).to_vector(), kLogSoftmax123);
  check_close(softmax(x.to(DType::Float32)).to_vector(), kSoftmax123);
}

TEST_CASE("softmax is stable for large inputs") {
  const Tensor x = Tensor::from_data(std::vector<float>{1000, 1001, 1002}, {3});
  check_close(softmax(x).to_vector(), kSoftmax123);
  check_close(log_softmax(x).to_vector(), kLogSoftmax123);
}

TEST_CASE("softmax along axis 0 normalises each column") {
  // Column 0 is [1, 2, 3]; column 1 is constant.
  const Tensor x = Tensor::from_data(std::vector<double>{1, 5, 2, 5, 3, 5}, {3, 2});
  const Tensor y = softmax(x, 0);
  check_close({y.at({0, 0}), y.at({1, 0}), y.at({2, 0})}, kSoftmax123);
  check_close({y.at({0, 1}), y.at({1, 1}), y.at({2, 1})}, {1.0 / 3, 1.0 / 3, 1.0 / 3});
  const Tensor logy = log_softmax(x, -2);
  check_close({logy.at({0, 0}), logy.at({1, 0}), logy.at({2, 0})}, kLogSoftmax123);
}

TEST_CASE("loss nll_loss picks -logp at the target") {
  const Tensor logp = Tensor::from_data(std::vector<double>{-1, -2, -3, -4}, {2, 2});
  const Tensor target = labels({1, 0});
  CHECK(nll_loss(logp, target, Reduction::None).to_vector() == std::vector<double>{2, 3});
  CHECK(nll_loss(logp, target, Reduction::Sum).item() == 5);
  CHECK(nll_loss(logp, target).item() == 2.5);
  CHECK(nll_loss(logp, target).shape() == Shape{});
}

TEST_CASE("loss cross_entropy of a known 2x3 example") {
  // Row 0: logits [1, 2, 3], class 2 -> -log_softmax = 0.4076...; row 1: uniform, class 1 -> log 3.
  const Tensor logits = Tensor::from_data(std::vector<double>{1, 2, 3, 0, 0, 0}, {2, 3});
  const Tensor target = labels({2, 1});
  const double l0 = -kLogSoftmax123[2], l1 = std::log(3.0);
  check_close(cross_entropy(logits, target, Reduction::None).to_vector(), {l0, l1});
  CHECK(cross_entropy(logits, target, Reduction::Sum).item() == doctest::Approx(l0 + l1));
  CHECK(cross_entropy(logits, target).item() == doctest::Approx((l0 + l1) / 2));
  CHECK(cross_entropy(logits.to(DType::Float32), target).item() == doctest::Approx((l0 + l1) / 2));
}

TEST_CASE("loss cross_entropy gradient is (softmax - one_hot) / N") {
  Tensor logits = Tensor::from_data(std::vector<double>{1, 2, 3, 0, 0, 0}, {2, 3});
  logits.requires_grad_();
  const Tensor g = grad({cross_entropy(logits, labels({2, 1}))}, {logits})[0];
  check_close(g.to_vector(), {kSoftmax123[0] / 2, kSoftmax123[1] / 2, (kSoftmax123[2] - 1) / 2,
                              1.0 / 6, (1.0 / 3 - 1) / 2, 1.0 / 6});
}

TEST_CASE("softmax and log_softmax gradients on axis 0 and -1") {
  const Tensor x = random_normal({3, 4}, 1);
  check_gradients([](const Inputs& in) { return softmax(in[0], 0); }, {x});
  check_gradients([](const Inputs& in) { return softmax(in[0], -1); }, {x});
  check_gradients([](const Inputs& in) { return log_softmax(in[0], 0); }, {x});
  check_gradients([](const Inputs& in) { return log_softmax(in[0], -1); }, {x});
  check_gradients([](const Inputs& in) { return softmax(in[0], 1); }, {random_normal({2, 3, 2}, 2)});
}

TEST_CASE("loss gradients of nll_loss and cross_entropy for every reduction") {
  const Tensor logits = random_normal({4, 3}, 3), target = labels({0, 2, 1, 2});
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    CAPTURE(static_cast<int>(r));
    check_gradients([r](const Inputs& in) { return cross_entropy(in[0], in[1], r); }, {logits, target});
    check_gradients([r](const Inputs& in) { return nll_loss(in[0], in[1], r); }, {logits, target});
  }
}

TEST_CASE("loss bad input names the op, the shapes and the offending target") {
  const Tensor logits = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(cross_entropy(logits, labels({0, 3})),
                       doctest::Contains("cross_entropy: target 3 at position 1 is outside the 3 classes [0, 3)"),
                       IndexError);
  CHECK_THROWS_WITH_AS(nll_loss(logits, labels({-1, 0})),
                       doctest::Contains("nll_loss: target -1 at position 0 is outside"), IndexError);
  CHECK_THROWS_WITH_AS(nll_loss(logits, labels({0, 1, 2})),
                       doctest::Contains("nll_loss: target must have shape [2] (one class per row of logp [2, 3]), got [3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(nll_loss(logits, Tensor::zeros({2})),
                       doctest::Contains("nll_loss: target must be an int64 tensor, got [2] (float32)"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(cross_entropy(Tensor::zeros({2, 3, 4}), labels({0, 1})),
                       doctest::Contains("cross_entropy: logits must have rank 2 [N,C], got shape [2, 3, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(softmax(logits, 2),
                       doctest::Contains("softmax: axis 2 is out of range for a tensor of rank 2"), IndexError);
  CHECK_THROWS_WITH_AS(log_softmax(labels({1, 2})),
                       doctest::Contains("log_softmax: input must be float32 or float64, got int64"), DTypeError);
}
