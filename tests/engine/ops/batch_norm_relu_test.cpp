// batch_norm_relu, the fused relu(batch_norm(x) + residual): the same values, running statistics and
// gradients of both orders as the composition it replaces (float32 through the fast kernels, float64
// through the reference ones), in training and eval mode, gradient rules applied at its ReLU, bad
// input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

// One training step's observable results: y, the running statistics, and d(Σ v ⊙ y) for x, gamma,
// beta and (when present) the residual.
struct Step {
  std::vector<double> y, running_mean, running_var;
  std::vector<std::vector<double>> grads;
};

// x: [3, 4, 7, 9] (63 positions per row: whole vectors and a tail on every ISA).
Step run(bool fused, DType dtype, bool with_residual, bool training = true) {
  const Tensor x = random_normal({3, 4, 7, 9}, 1, dtype).requires_grad_();
  const Tensor gamma = random_normal({4}, 2, dtype).requires_grad_();
  const Tensor beta = random_normal({4}, 3, dtype).requires_grad_();
  const Tensor residual = with_residual ? random_normal({3, 4, 7, 9}, 4, dtype).requires_grad_() : Tensor();
  Tensor running_mean = random_normal({4}, 5, dtype), running_var = random_normal({4}, 6, dtype) * 0.1 + 1.0;
  const BatchNormOptions options{.training = training};
  Tensor y;
  if (fused) {
    y = batch_norm_relu(x, gamma, beta, running_mean, running_var, options, residual);
  } else {
    const Tensor normalized = batch_norm(x, gamma, beta, running_mean, running_var, options);
    y = relu(with_residual ? normalized + residual : normalized);
  }
  std::vector<Tensor> inputs{x, gamma, beta};
  if (with_residual) inputs.push_back(residual);
  Step step{y.to_vector(), running_mean.to_vector(), running_var.to_vector(), {}};
  for (const Tensor& g : grad({sum(y * random_normal(y.shape(), 7, dtype))}, inputs))
    step.grads.push_back(g.to_vector());
  return step;
}

void check_close(const std::vector<double>& fused, const std::vector<double>& composed, double tolerance,
                 const std::string& what) {
  REQUIRE(fused.size() == composed.size());
  for (std::size_t i = 0; i < fused.size(); ++i)
    CHECK_MESSAGE(std::abs(fused[i] - composed[i]) <= tolerance * (1 + std::abs(composed[i])),
                  what << " at " << i << ": " << fused[i] << " vs " << composed[i]);
}

void check_same_step(const Step& fused, const Step& composed, double tolerance) {
  check_close(fused.y, composed.y, tolerance, "y");
  check_close(fused.running_mean, composed.running_mean, tolerance, "running_mean");
  check_close(fused.running_var, composed.running_var, tolerance, "running_var");
  REQUIRE(fused.grads.size() == composed.grads.size());
  const char* names[] = {"dx", "dgamma", "dbeta", "dresidual"};
  for (std::size_t i = 0; i < fused.grads.size(); ++i)
    check_close(fused.grads[i], composed.grads[i], tolerance, names[i]);
}

}  // namespace

TEST_CASE("batch_norm_relu gives the composition's values, statistics and gradients") {
  for (const DType dtype : {DType::Float32, DType::Float64})
    for (const bool with_residual : {false, true})
      for (const bool training : {true, false}) {
        const std::string type = dtype_name(dtype);
        CAPTURE(type);
        CAPTURE(with_residual);
        CAPTURE(training);
        const Step fused = run(true, dtype, with_residual, training);
        const Step composed = run(false, dtype, with_residual, training);
        // the ReLU closes part of the gates: the comparison covers both branches
        const auto open = std::count_if(fused.y.begin(), fused.y.end(), [](double v) { return v > 0; });
        CHECK(open > std::int64_t(fused.y.size()) / 8);
        CHECK(open < 7 * std::int64_t(fused.y.size()) / 8);
        check_same_step(fused, composed, dtype == DType::Float32 ? 1e-6 : 1e-12);
      }
}

TEST_CASE("batch_norm_relu gradients of both orders") {
  // Random inputs keep every ReLU input away from the kink at 0 by more than the step.
  const GradcheckOptions options{.skip_kinks = true};
  check_gradients([](const Inputs& in) { return batch_norm_relu(in[0], in[1], in[2], Tensor(), Tensor()); },
                  {random_normal({2, 3, 2, 3}, 8), random_normal({3}, 9), random_normal({3}, 10)}, options);
  check_gradients([](const Inputs& in) {
    return batch_norm_relu(in[0], in[1], in[2], Tensor(), Tensor(), {}, in[3]);
  }, {random_normal({2, 3, 2, 3}, 11), random_normal({3}, 12), random_normal({3}, 13), random_normal({2, 3, 2, 3}, 14)},
                  options);
}

TEST_CASE("batch_norm_relu gradients of both orders in eval mode") {
  const GradcheckOptions options{.skip_kinks = true};
  const Tensor running_mean = random_normal({3}, 20), running_var = random_uniform({3}, 0.5, 2.0, 21);
  const BatchNormOptions eval{.training = false};
  check_gradients([&](const Inputs& in) {
    return batch_norm_relu(in[0], in[1], in[2], running_mean, running_var, eval, in[3]);
  }, {random_normal({2, 3, 2, 3}, 22), random_normal({3}, 23), random_normal({3}, 24), random_normal({2, 3, 2, 3}, 25)},
                  options);
}

TEST_CASE("batch_norm_relu's second-order gradients in float32 equal the composition's") {
  // d/dgamma of |dL/dx|², with dL/dx recorded (create_graph): the recorded VJP of the fused op
  const auto second_order = [](bool fused) {
    const Tensor x = random_normal({4, 3, 5, 5}, 15, DType::Float32).requires_grad_();
    const Tensor gamma = random_normal({3}, 16, DType::Float32).requires_grad_();
    const Tensor beta = random_normal({3}, 17, DType::Float32).requires_grad_();
    const Tensor residual = random_normal({4, 3, 5, 5}, 18, DType::Float32);
    const Tensor y = fused ? batch_norm_relu(x, gamma, beta, Tensor(), Tensor(), {}, residual)
                           : relu(batch_norm(x, gamma, beta, Tensor(), Tensor()) + residual);
    const Tensor dx = grad({sum(y * random_normal(y.shape(), 19, DType::Float32))}, {x}, {}, {.create_graph = true})[0];
    return grad({sum(dx * dx)}, {gamma})[0].to_vector();
  };
  const std::vector<double> fused = second_order(true), composed = second_order(false);
  CHECK(std::any_of(composed.begin(), composed.end(), [](double v) { return std::abs(v) > 1e-3; }));
  check_close(fused, composed, 1e-5, "d|dx|²/dgamma");
}

TEST_CASE("a gradient rule for ReLU applies at batch_norm_relu's ReLU") {
  GradientRules guided;
  guided.set(Nonlinearity::Relu, [](const RuleContext& c) {
    return relu(c.grad_output) * step(c.input);  // guided backprop: positive gradients, positive inputs
  });
  for (const DType dtype : {DType::Float32, DType::Float64})
    for (const bool with_residual : {false, true})
      for (const bool training : {true, false}) {
        CAPTURE(with_residual);
        CAPTURE(training);
        GradientRuleScope scope(guided);
        check_same_step(run(true, dtype, with_residual, training), run(false, dtype, with_residual, training),
                        dtype == DType::Float32 ? 1e-6 : 1e-12);
      }
  // the rule changes the gradient: the check above compares guided gradients, not plain ones
  Step guided_step;
  {
    GradientRuleScope scope(guided);
    guided_step = run(true, DType::Float64, true);
  }
  CHECK(guided_step.grads[0] != run(true, DType::Float64, true).grads[0]);
}

TEST_CASE("batch_norm_relu bad residual names the op and shapes") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  CHECK_THROWS_WITH_AS(batch_norm_relu(x, Tensor(), Tensor(), Tensor(), Tensor(), {}, Tensor::zeros({2, 3, 4, 5})),
                       doctest::Contains("batch_norm_relu: residual must have the input's shape [2, 3, 4, 4], got [2, 3, 4, 5]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(batch_norm_relu(x, Tensor(), Tensor(), Tensor(), Tensor(), {},
                                       Tensor::zeros({2, 3, 4, 4}, DType::Float64)),
                       doctest::Contains("batch_norm_relu: residual [2, 3, 4, 4] (float64) must have the dtype of the input"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(batch_norm_relu(Tensor::zeros({2, 3, 4}), Tensor(), Tensor(), Tensor(), Tensor()),
                       doctest::Contains("batch_norm: input must be [N,C] or [N,C,H,W], got shape [2, 3, 4]"),
                       ShapeError);
}
