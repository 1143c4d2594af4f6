// conv2d_scaled_relu, relu(conv2d_scaled(x, w, s, b) + residual) with the add and the ReLU in the
// convolution's epilogue: the composition's values and gradients for every fast kernel family
// (Winograd rows, implicit GEMM, direct, pointwise) and the float64 reference, gradients of both
// orders, gradient rules at its ReLU, bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

// A layer: input shape, output channels, kernel size, stride (padding keeps 3x3 layers' extents).
struct Layer {
  const char* kernel_family;
  Shape x;
  std::int64_t K, kernel, stride;

  Conv2dOptions options() const {
    Conv2dOptions o;
    o.stride = {stride, stride};
    o.padding = {kernel / 2, kernel / 2};
    return o;
  }
};

const Layer kLayers[] = {
    {"Winograd rows (3x3, stride 1, 8 channels)", {2, 8, 14, 14}, 8, 3, 1},
    {"implicit GEMM (3x3, stride 2)", {2, 5, 9, 9}, 6, 3, 2},
    {"direct (one input channel)", {2, 1, 9, 11}, 4, 3, 1},
    {"pointwise (1x1)", {2, 6, 5, 7}, 7, 1, 1},
};

// y and d(Σ v ⊙ y) for x, w, scale, bias and (when present) the residual.
struct Pass {
  std::vector<double> y;
  std::vector<std::vector<double>> grads;
};

Pass run(const Layer& layer, bool fused, DType dtype, bool with_residual) {
  const Tensor x = random_normal(layer.x, 1, dtype).requires_grad_();
  const Tensor w = random_normal({layer.K, layer.x[1], layer.kernel, layer.kernel}, 2, dtype).requires_grad_();
  const Tensor scale = random_normal({layer.K}, 3, dtype).requires_grad_();
  const Tensor bias = random_normal({layer.K}, 4, dtype).requires_grad_();
  const Conv2dOptions o = layer.options();
  const Shape out = conv2d(x.detach(), w.detach(), Tensor(), o).shape();
  const Tensor residual = with_residual ? random_normal(out, 5, dtype).requires_grad_() : Tensor();
  Tensor y;
  if (fused) {
    y = conv2d_scaled_relu(x, w, scale, bias, o, residual);
  } else {
    const Tensor conv = conv2d_scaled(x, w, scale, bias, o);
    y = relu(with_residual ? conv + residual : conv);
  }
  std::vector<Tensor> inputs{x, w, scale, bias};
  if (with_residual) inputs.push_back(residual);
  Pass pass{y.to_vector(), {}};
  for (const Tensor& g : grad({sum(y * random_normal(y.shape(), 6, dtype))}, inputs))
    pass.grads.push_back(g.to_vector());
  return pass;
}

void check_close(const std::vector<double>& fused, const std::vector<double>& composed, double tolerance,
                 const std::string& what) {
  REQUIRE(fused.size() == composed.size());
  for (std::size_t i = 0; i < fused.size(); ++i)
    CHECK_MESSAGE(std::abs(fused[i] - composed[i]) <= tolerance * (1 + std::abs(composed[i])),
                  what << " at " << i << ": " << fused[i] << " vs " << composed[i]);
}

void check_same_pass(const Pass& fused, const Pass& composed, double tolerance) {
  check_close(fused.y, composed.y, tolerance, "y");
  REQUIRE(fused.grads.size() == composed.grads.size());
  const char* names[] = {"dx", "dw", "dscale", "dbias", "dresidual"};
  for (std::size_t i = 0; i < fused.grads.size(); ++i)
    check_close(fused.grads[i], composed.grads[i], tolerance, names[i]);
}

}  // namespace

TEST_CASE("conv2d_scaled_relu gives the composition's values and gradients on every kernel family") {
  for (const Layer& layer : kLayers)
    for (const DType dtype : {DType::Float32, DType::Float64})
      for (const bool with_residual : {false, true}) {
        const std::string family = layer.kernel_family, type = dtype_name(dtype);
        CAPTURE(family);
        CAPTURE(type);
        CAPTURE(with_residual);
        const Pass fused = run(layer, true, dtype, with_residual);
        const Pass composed = run(layer, false, dtype, with_residual);
        // the ReLU closes part of the gates: the comparison covers both branches
        const auto open = std::count_if(fused.y.begin(), fused.y.end(), [](double v) { return v > 0; });
        CHECK(open > std::int64_t(fused.y.size()) / 8);
        CHECK(open < 7 * std::int64_t(fused.y.size()) / 8);
        // the epilogue does the composition's arithmetic on the same convolution outputs
        CHECK(fused.y == composed.y);
        check_same_pass(fused, composed, dtype == DType::Float32 ? 1e-6 : 1e-12);
      }
}

TEST_CASE("conv2d_scaled_relu gradients of both orders") {
  // Random inputs keep every ReLU input away from the kink at 0 by more than the step.
  const GradcheckOptions options{.skip_kinks = true};
  Conv2dOptions o;
  o.padding = {1, 1};
  check_gradients([&](const Inputs& in) { return conv2d_scaled_relu(in[0], in[1], in[2], in[3], o); },
                  {random_normal({2, 2, 4, 3}, 7), random_normal({3, 2, 3, 3}, 8), random_normal({3}, 9),
                   random_normal({3}, 10)},
                  options);
  o.stride = {2, 2};
  check_gradients([&](const Inputs& in) {
    return conv2d_scaled_relu(in[0], in[1], in[2], Tensor(), o, in[3]);
  }, {random_normal({2, 2, 5, 4}, 11), random_normal({3, 2, 3, 3}, 12), random_normal({3}, 13),
      random_normal({2, 3, 3, 2}, 14)}, options);
}

TEST_CASE("conv2d_scaled_relu's second-order gradients in float32 equal the composition's") {
  // d/dscale of |dL/dx|², with dL/dx recorded (create_graph): the recorded VJP of the fused op
  const auto second_order = [](bool fused) {
    Conv2dOptions o;
    o.padding = {1, 1};
    const Tensor x = random_normal({2, 8, 14, 14}, 15, DType::Float32).requires_grad_();
    const Tensor w = random_normal({8, 8, 3, 3}, 16, DType::Float32);
    const Tensor scale = random_normal({8}, 17, DType::Float32).requires_grad_();
    const Tensor residual = random_normal({2, 8, 14, 14}, 18, DType::Float32);
    const Tensor y = fused ? conv2d_scaled_relu(x, w, scale, Tensor(), o, residual)
                           : relu(conv2d_scaled(x, w, scale, Tensor(), o) + residual);
    const Tensor dx = grad({sum(y * random_normal(y.shape(), 19, DType::Float32))}, {x}, {}, {.create_graph = true})[0];
    return grad({sum(dx * dx)}, {scale})[0].to_vector();
  };
  const std::vector<double> fused = second_order(true), composed = second_order(false);
  CHECK(std::any_of(composed.begin(), composed.end(), [](double v) { return std::abs(v) > 1e-3; }));
  check_close(fused, composed, 1e-5, "d|dx|²/dscale");
}

TEST_CASE("a gradient rule for ReLU applies at conv2d_scaled_relu's ReLU, to its recomputed input") {
  GradientRules guided;
  guided.set(Nonlinearity::Relu, [](const RuleContext& c) {
    return relu(c.grad_output) * step(c.input);  // guided backprop: positive gradients, positive inputs
  });
  for (const Layer& layer : {kLayers[0], kLayers[1]})
    for (const DType dtype : {DType::Float32, DType::Float64})
      for (const bool with_residual : {false, true}) {
        const std::string family = layer.kernel_family;
        CAPTURE(family);
        CAPTURE(with_residual);
        GradientRuleScope scope(guided);
        check_same_pass(run(layer, true, dtype, with_residual), run(layer, false, dtype, with_residual),
                        dtype == DType::Float32 ? 1e-6 : 1e-12);
      }
  // the rule changes the gradient: the check above compares guided gradients, not plain ones
  Pass guided_pass;
  {
    GradientRuleScope scope(guided);
    guided_pass = run(kLayers[0], true, DType::Float64, true);
  }
  CHECK(guided_pass.grads[0] != run(kLayers[0], true, DType::Float64, true).grads[0]);
}

TEST_CASE("conv2d_scaled_relu bad input names the op and the problem") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4}), w = Tensor::zeros({5, 3, 3, 3}), scale = Tensor::ones({5});
  Conv2dOptions o;
  o.padding = {1, 1};
  CHECK_THROWS_WITH_AS(conv2d_scaled_relu(x, w, scale, Tensor(), o, Tensor::zeros({2, 5, 4, 5})),
                       doctest::Contains("conv2d_scaled_relu: residual [2, 5, 4, 5] must have the output's shape "
                                         "[2, 5, 4, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(conv2d_scaled_relu(x, w, scale, Tensor(), o, Tensor::zeros({2, 5, 4, 4}, DType::Float64)),
                       doctest::Contains("conv2d_scaled_relu: input"), DTypeError);
  CHECK_THROWS_WITH_AS(conv2d_scaled_relu(x, w, Tensor::ones({4}), Tensor(), o),
                       doctest::Contains("conv2d_scaled_relu: scale [4] must have shape [5]"), ShapeError);
  CHECK_THROWS_WITH_AS(conv2d_scaled_relu(x, w, Tensor(), Tensor(), o),
                       doctest::Contains("conv2d_scaled_relu: scale is undefined"), ValueError);
}
