// The tape: backward, the functional grad, higher order, retain/free, NoGradGuard, gradient rules.
#include <doctest/doctest.h>

#include <cmath>

#include "support/gradcheck.hpp"

using namespace attrax;

namespace {

Tensor leaf(std::vector<double> values, const Shape& shape) {
  return Tensor::from_data(values, shape).requires_grad_();
}

}  // namespace

TEST_CASE("autograd: backward accumulates into leaves") {
  Tensor x = leaf({1, 2, 3}, {3});
  Tensor w = leaf({4, 5, 6}, {3});
  const Tensor loss = sum(x * w + x);
  loss.backward(Tensor(), /*retain_graph=*/true);
  CHECK(x.grad().to_vector() == std::vector<double>{5, 6, 7});
  CHECK(w.grad().to_vector() == std::vector<double>{1, 2, 3});
  loss.backward();
  CHECK(x.grad().to_vector() == std::vector<double>{10, 12, 14});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("autograd: a second pass through a freed graph names the op") {
  Tensor x = leaf({1, 2}, {2});
  const Tensor loss = sum(exp(x));
  loss.backward();
  CHECK_THROWS_WITH_AS(loss.backward(), doctest::Contains("'sum' a second time"), AutogradError);
}

TEST_CASE("autograd: grad computes only what the requested inputs need") {
  Tensor x = leaf({1, 2}, {2});
  Tensor w = leaf({3, 4}, {2});
  std::vector<bool> seen;
  // y = x w with a VJP that records which input gradients the pass asked for.
  Tensor y = record("probe", x.detach() * w.detach(), {x, w},
                    [&seen, x, w](const Tensor& g, const BackwardContext& ctx) -> Grads {
                      seen = {ctx.needs_input_grad(0), ctx.needs_input_grad(1)};
                      return {ctx.needs_input_grad(0) ? g * w.detach() : Tensor(),
                              ctx.needs_input_grad(1) ? g * x.detach() : Tensor()};
                    });
  const auto gx = grad({sum(y)}, {x});
  CHECK(seen == std::vector<bool>{true, false});
  CHECK(gx[0].to_vector() == std::vector<double>{3, 4});
  CHECK_FALSE(w.grad().defined());
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("autograd: grad through intermediate tensors and several outputs") {
  Tensor x = leaf({2}, {1});
  const Tensor h = x * x;          // h = x²
  const Tensor y = h * 3.0;        // y = 3x²
  const auto grads = grad({y, h}, {h, x});
  CHECK(grads[0].item() == doctest::Approx(4.0));   // dy/dh + dh/dh = 3 + 1
  CHECK(grads[1].item() == doctest::Approx(16.0));  // 6x + 2x at x = 2
}

TEST_CASE("autograd: unused inputs are an error unless allowed") {
  Tensor x = leaf({1}, {1});
  Tensor unused = leaf({1}, {1});
  const Tensor y = sum(x * 2.0);
  CHECK_THROWS_WITH_AS(grad({y}, {x, unused}, {}, {.retain_graph = true}),
                       doctest::Contains("input 1 was not used"), AutogradError);
  const auto grads = grad({y}, {x, unused}, {}, {.allow_unused = true});
  CHECK(grads[0].item() == doctest::Approx(2.0));
  CHECK_FALSE(grads[1].defined());
}

TEST_CASE("autograd: misuse gives clear errors") {
  Tensor x = leaf({1, 2}, {2});
  const Tensor y = x * 2.0;
  CHECK_THROWS_WITH_AS(grad({y}, {x}), doctest::Contains("one-element outputs"), AutogradError);
  CHECK_THROWS_WITH_AS(grad({sum(y)}, {Tensor::ones({2})}),
                       doctest::Contains("input 0 does not require grad"), AutogradError);
  CHECK_THROWS_WITH_AS(grad({sum(Tensor::ones({2}))}, {x}),
                       doctest::Contains("output 0 does not require grad"), AutogradError);
  CHECK_THROWS_WITH_AS(grad({y}, {x}, {Tensor::ones({3})}),
                       doctest::Contains("grad_output has shape [3]"), ShapeError);
  Tensor copy = y;
  CHECK_THROWS_WITH_AS(copy.requires_grad_(), doctest::Contains("only leaf tensors"), AutogradError);
  Tensor labels = Tensor::zeros({2}, DType::Int64);
  CHECK_THROWS_AS(labels.requires_grad_(), DTypeError);
}

TEST_CASE("autograd: create_graph gives exact higher derivatives") {
  Tensor x = leaf({1.5}, {1});
  const Tensor y = sum(pow(x, 4));                                  // y = x⁴
  const Tensor d1 = grad({y}, {x}, {}, {.create_graph = true})[0];  // 4x³
  const Tensor d2 = grad({sum(d1)}, {x}, {}, {.create_graph = true})[0];  // 12x²
  const Tensor d3 = grad({sum(d2)}, {x})[0];                        // 24x
  CHECK(d1.item() == doctest::Approx(4 * 1.5 * 1.5 * 1.5));
  CHECK(d2.item() == doctest::Approx(12 * 1.5 * 1.5));
  CHECK(d3.item() == doctest::Approx(24 * 1.5));
  CHECK(d2.requires_grad());
  CHECK_FALSE(d3.requires_grad());
}

TEST_CASE("autograd: backward with create_graph keeps .grad differentiable") {
  Tensor x = leaf({2}, {1});
  sum(exp(x) * x).backward(Tensor(), false, /*create_graph=*/true);  // dx = e^x (1 + x)
  REQUIRE(x.grad().requires_grad());
  const Tensor second = grad({sum(x.grad())}, {x})[0];                 // e^x (2 + x)
  CHECK(second.item() == doctest::Approx(std::exp(2.0) * 4));
}

TEST_CASE("autograd: NoGradGuard records nothing and nests") {
  Tensor x = leaf({1, 2}, {2});
  {
    NoGradGuard outer;
    {
      NoGradGuard inner;
    }
    CHECK_FALSE(GradMode::enabled());
    const Tensor y = exp(x) * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(GradMode::enabled());
  CHECK(exp(x).grad_fn() != nullptr);
}

TEST_CASE("autograd: reshape is a differentiable view") {
  Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor v = x.reshape({3, -1});
  CHECK(v.shape() == Shape{3, 2});
  CHECK(v.impl()->storage == x.impl()->storage);
  const auto g = grad({sum(v * v)}, {x})[0];
  CHECK(g.shape() == Shape{2, 3});
  CHECK(g.to_vector() == std::vector<double>{2, 4, 6, 8, 10, 12});
}

TEST_CASE("autograd: float64 casts are differentiable both ways") {
  Tensor x = Tensor::from_data(std::vector<float>{3}, {1}).requires_grad_();
  const Tensor y = sum(pow(x.to(DType::Float64), 2));
  CHECK(grad({y}, {x})[0].dtype() == DType::Float32);
  CHECK(grad({sum(pow(x.to(DType::Float64), 2))}, {x})[0].item() == doctest::Approx(6.0));
}

TEST_CASE("autograd: gradient rules override nonlinearities for one pass") {
  // score = Σ v ⊙ relu(w ⊙ relu(x) - 1) + relu(x) (a residual path through the same relu output)
  Tensor x = leaf({1, -1, 2, 0.5}, {4});
  const Tensor w = Tensor::from_data(std::vector<double>{2, 1, -1, 3}, {4});
  const Tensor v = Tensor::from_data(std::vector<double>{1, -2, 1, -1}, {4});
  const auto score_of = [&](const Tensor& in) {
    const Tensor h = relu(in);
    return sum(v * relu(w * h - 1.0) + v * h);
  };
  GradientRules guided;
  guided.set(Nonlinearity::Relu, [](const RuleContext& c) {
    return relu(c.grad_output) * step(c.input);  // guided backprop: positive gradients, positive inputs
  });

  const auto plain = grad({score_of(x)}, {x})[0].to_vector();
  std::vector<double> overridden;
  {
    GradientRuleScope scope(guided);
    overridden = grad({score_of(x)}, {x})[0].to_vector();
  }
  const auto plain_again = grad({score_of(x)}, {x})[0].to_vector();
  // Hand computation. Inner pre-activation w h - 1 = [1, -1, -3, 0.5]; outer relu passes 0 and 3.
  // Plain: dx = [x > 0] (v + v w [w h - 1 > 0]) = [1 + 2, 0, 1, -1 - 3] = [3, 0, 1, -4].
  CHECK(plain == std::vector<double>{3, 0, 1, -4});
  // Guided: outer relu sends relu(v) [pre > 0] = [1, 0, 0, 0]; through w: [2, 0, 0, 0]; plus the
  // residual v: [3, -2, 1, -1]; inner relu keeps positive gradients at positive inputs: [3, 0, 1, 0].
  CHECK(overridden == std::vector<double>{3, 0, 1, 0});
  CHECK(plain_again == plain);
}

TEST_CASE("autograd: gradcheck flags a wrong VJP") {
  // y = x² recorded with the wrong derivative x (instead of 2x).
  const testing::TensorFunction wrong = [](const std::vector<Tensor>& in) {
    const Tensor x = in[0];
    return record("wrong_square", x.detach() * x.detach(), {x},
                  [x](const Tensor& g, const BackwardContext&) -> Grads { return {g * x}; });
  };
  const auto result = testing::gradcheck(wrong, {Tensor::from_data(std::vector<double>{1, 2}, {2})});
  CHECK_FALSE(result.ok);
  CHECK(result.report.find("input 0") != std::string::npos);
}

TEST_CASE("autograd: very deep graphs go through backward and are freed without recursion") {
  Tensor x = leaf({2}, {1});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;  // d y / d x = 1 through 100000 nodes
  CHECK(grad({sum(y)}, {x})[0].item() == 1.0);
  y = Tensor();  // dropping the only handle releases the whole chain
  CHECK(x.requires_grad());
}
