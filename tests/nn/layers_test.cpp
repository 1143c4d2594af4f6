// Layers against the engine ops they wrap, batch-norm bookkeeping, PyTorch's default
// initialisation, Normalize, and describe().
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "nn/nn.hpp"

using namespace attrax;
using namespace attrax::nn;
using namespace attrax::nn::testing;

namespace {

struct Moments {
  double mean = 0, std = 0, max_abs = 0;
};

Moments moments(const Tensor& t) {
  const std::vector<double> v = t.to_vector();
  Moments m;
  for (double x : v) {
    m.mean += x;
    m.max_abs = std::max(m.max_abs, std::abs(x));
  }
  m.mean /= double(v.size());
  for (double x : v) m.std += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(m.std / double(v.size()));
  return m;
}

// Checks that `t` looks like U(-bound, bound): within the bound, reaching close to it (the largest
// of n draws falls short of the bound by more than 8/n of it with probability ~e^-8), and mean ~0
// and std ~ bound / sqrt(3) within four standard errors (the sample std of n uniform draws has a
// relative standard error of sqrt(0.2 / n)).
void check_uniform(const Tensor& t, double bound, const std::string& what) {
  const Moments m = moments(t);
  const double n = double(t.numel());
  const double sigma = bound / std::sqrt(3.0);
  INFO(what << ": bound " << bound << ", max |x| " << m.max_abs << ", mean " << m.mean << ", std "
            << m.std << ", n " << n);
  CHECK(m.max_abs <= bound);
  CHECK(m.max_abs >= (1 - 8 / n) * bound);
  CHECK(std::abs(m.mean) <= 4 * sigma / std::sqrt(n));
  CHECK(std::abs(m.std / sigma - 1) <= 4 * std::sqrt(0.2 / n));
}

}  // namespace

TEST_CASE("Conv2d forward equals conv2d with the layer's tensors") {
  Generator gen(11);
  Conv2d conv({.in_channels = 4, .out_channels = 6, .kernel = 3, .stride = 2, .padding = 1,
               .groups = 2},
              gen);
  CHECK(conv.weight.shape() == Shape{6, 2, 3, 3});
  REQUIRE(conv.bias.defined());
  CHECK(conv.bias.shape() == Shape{6});
  CHECK(names_of(conv.state_dict()) == std::vector<std::string>{"weight", "bias"});
  const Tensor x = Tensor::randn({2, 4, 7, 7}, gen);
  const Tensor expected =
      conv2d(x, conv.weight, conv.bias, {.stride = {2, 2}, .padding = {1, 1}, .groups = 2});
  const Tensor y = conv(x);
  CHECK(y.shape() == Shape{2, 6, 4, 4});
  CHECK(y.to_vector() == expected.to_vector());

  Conv2d no_bias({.in_channels = 3, .out_channels = 2, .kernel = 1, .bias = false}, gen);
  CHECK_FALSE(no_bias.bias.defined());
  CHECK(names_of(no_bias.state_dict()) == std::vector<std::string>{"weight"});
  const Tensor x3 = Tensor::randn({1, 3, 4, 4}, gen);
  CHECK(no_bias(x3).to_vector() == conv2d(x3, no_bias.weight).to_vector());
}

TEST_CASE("Linear forward equals linear with the layer's tensors") {
  Generator gen(12);
  Linear fc(5, 3, gen);
  CHECK(fc.weight.shape() == Shape{3, 5});
  CHECK(fc.bias.shape() == Shape{3});
  const Tensor x = Tensor::randn({4, 5}, gen);
  CHECK(fc(x).to_vector() == linear(x, fc.weight, fc.bias).to_vector());
  // By hand for one element: y[1][2] = Σ x[1][k] w[2][k] + b[2].
  double y12 = fc.bias.at({2});
  for (std::int64_t k = 0; k < 5; ++k) y12 += x.at({1, k}) * fc.weight.at({2, k});
  CHECK(fc(x).at({1, 2}) == doctest::Approx(y12).epsilon(1e-6));

  Linear no_bias(5, 2, gen, false);
  CHECK_FALSE(no_bias.bias.defined());
  CHECK(no_bias.parameter_count() == 10);
  CHECK(no_bias(x).to_vector() == linear(x, no_bias.weight).to_vector());
}

TEST_CASE("BatchNorm2d forward equals batch_norm and tracks batches only in training") {
  Generator gen(13);
  BatchNorm2d bn(3);
  CHECK(names_of(bn.state_dict()) ==
        std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                 "num_batches_tracked"});
  CHECK(names_of(bn.named_parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(bn.num_batches_tracked.dtype() == DType::Int64);
  CHECK(bn.num_batches_tracked.rank() == 0);
  CHECK(bn.num_batches_tracked.item() == 0);
  CHECK(bn.weight.to_vector() == std::vector<double>{1, 1, 1});
  CHECK(bn.bias.to_vector() == std::vector<double>{0, 0, 0});
  CHECK(bn.running_var.to_vector() == std::vector<double>{1, 1, 1});
  bn.weight = Tensor::from_data(std::vector<float>{0.5f, 1.5f, 2.0f}, {3}).requires_grad_();
  bn.weight.requires_grad_();

  const Tensor x = Tensor::randn({4, 3, 5, 5}, gen) * 2.0 + 1.0;
  Tensor mean_copy = bn.running_mean.clone(), var_copy = bn.running_var.clone();
  const Tensor expected = batch_norm(x, bn.weight, bn.bias, mean_copy, var_copy,
                                     {.training = true, .momentum = 0.1, .eps = 1e-5});
  const Tensor y = bn(x);
  CHECK(y.to_vector() == expected.to_vector());
  CHECK(bn.running_mean.to_vector() == mean_copy.to_vector());
  CHECK(bn.running_var.to_vector() == var_copy.to_vector());
  CHECK(bn.running_mean.at({0}) != 0.0);  // updated in place
  CHECK(bn.num_batches_tracked.item() == 1);
  bn(x);
  CHECK(bn.num_batches_tracked.item() == 2);

  bn.eval();
  const std::vector<double> mean_before = bn.running_mean.to_vector();
  const Tensor eval_expected = batch_norm(x, bn.weight, bn.bias, bn.running_mean.clone(),
                                          bn.running_var.clone(), {.training = false});
  CHECK(bn(x).to_vector() == eval_expected.to_vector());
  CHECK(bn.num_batches_tracked.item() == 2);
  CHECK(bn.running_mean.to_vector() == mean_before);

  // [N, C] inputs work too.
  const Tensor flat = Tensor::randn({6, 3}, gen);
  CHECK(max_abs_diff(bn(flat), batch_norm(flat, bn.weight, bn.bias, bn.running_mean.clone(),
                                          bn.running_var.clone(), {.training = false})) == 0.0);
}

TEST_CASE("Conv2d and Linear default initialisation follows PyTorch's bounds") {
  Generator gen(14);
  SUBCASE("Linear") {
    Linear fc(400, 300, gen);
    check_uniform(fc.weight, 1.0 / std::sqrt(400.0), "Linear weight");
    check_uniform(fc.bias, 1.0 / std::sqrt(400.0), "Linear bias");
  }
  SUBCASE("Conv2d") {
    // fan_in = in / groups · k · k = 4 · 9 = 36
    Conv2d conv({.in_channels = 8, .out_channels = 512, .kernel = 3, .groups = 2}, gen);
    check_uniform(conv.weight, 1.0 / 6.0, "Conv2d weight");
    check_uniform(conv.bias, 1.0 / 6.0, "Conv2d bias");
  }
  SUBCASE("kaiming_uniform_ with a = 0") {
    Tensor w = Tensor::empty({200, 50});
    init::kaiming_uniform_(w, 0.0, init::Fan::Out, gen);  // bound = sqrt(2) · sqrt(3 / 200)
    check_uniform(w, std::sqrt(6.0 / 200.0), "kaiming_uniform_ fan_out");
  }
  SUBCASE("two layers from one generator differ") {
    Linear a(10, 10, gen), b(10, 10, gen);
    CHECK(a.weight.to_vector() != b.weight.to_vector());
  }
}

TEST_CASE("kaiming_normal_ draws N(0, 2 / fan)") {
  Generator gen(15);
  Tensor w = Tensor::empty({128, 64, 3, 3});
  CHECK(init::fan(w, init::Fan::In) == 576);
  CHECK(init::fan(w, init::Fan::Out) == 1152);
  init::kaiming_normal_(w, init::Fan::In, gen);
  Moments m = moments(w);
  CHECK(std::abs(m.mean) < 0.01 * m.std);
  CHECK(m.std == doctest::Approx(std::sqrt(2.0 / 576)).epsilon(0.02));
  init::kaiming_normal_(w, init::Fan::Out, gen);
  m = moments(w);
  CHECK(m.std == doctest::Approx(std::sqrt(2.0 / 1152)).epsilon(0.02));
  CHECK(m.max_abs > 3 * m.std);  // normal tails, not a uniform

  Tensor bias = Tensor::empty({8});
  CHECK_THROWS_AS(init::fan(bias, init::Fan::In), ValueError);
}

TEST_CASE("Normalize maps pixels channel by channel and keeps its constants out of state_dict") {
  Normalize norm({0.5, 0.25}, {0.5, 0.2});
  CHECK(norm.state_dict().empty());
  CHECK(norm.named_parameters().empty());
  CHECK(norm.named_buffers().size() == 2);  // mean and inv_std, non-persistent
  CHECK(norm.mean_values() == std::vector<double>{0.5, 0.25});
  Tensor x = Tensor::zeros({1, 2, 1, 2});
  x.set({0, 0, 0, 0}, 1.0);
  x.set({0, 0, 0, 1}, 0.0);
  x.set({0, 1, 0, 0}, 0.65);
  x.set({0, 1, 0, 1}, 0.25);
  const Tensor y = norm(x);
  CHECK(y.at({0, 0, 0, 0}) == doctest::Approx(1.0));
  CHECK(y.at({0, 0, 0, 1}) == doctest::Approx(-1.0));
  CHECK(y.at({0, 1, 0, 0}) == doctest::Approx(2.0));
  CHECK(y.at({0, 1, 0, 1}) == doctest::Approx(0.0));

  // Differentiable in the pixels: dy/dx = 1 / std.
  Tensor leaf = x.clone().requires_grad_();
  sum(norm(leaf)).backward();
  CHECK(leaf.grad().at({0, 1, 0, 0}) == doctest::Approx(5.0));

  CHECK(contains(error_message<ShapeError>([&] { norm(Tensor::zeros({1, 3, 2, 2})); }),
                 "[N, 2, H, W]"));
  CHECK_THROWS_AS(norm(Tensor::zeros({2, 2})), ShapeError);
  CHECK(contains(error_message<ValueError>([] { Normalize({0.5}, {0.5, 0.5}); }),
                 "one value per channel"));
  CHECK_THROWS_AS(Normalize({}, {}), ValueError);
  CHECK(contains(error_message<ValueError>([] { Normalize({0.5}, {0.0}); }), "std must be > 0"));
  CHECK_THROWS_AS(Normalize({0.5}, {-1.0}), ValueError);
  CHECK_THROWS_AS(Normalize({0.5}, {std::nan("")}), ValueError);
}

TEST_CASE("layers reject invalid sizes") {
  Generator gen(16);
  CHECK_THROWS_AS(Linear(0, 3, gen), ValueError);
  CHECK_THROWS_AS(Linear(3, 0, gen), ValueError);
  CHECK_THROWS_AS(Conv2d({.in_channels = 0}, gen), ValueError);
  CHECK_THROWS_AS(Conv2d({.kernel = 3, .stride = 0}, gen), ValueError);
  CHECK_THROWS_AS(Conv2d({.kernel = 3, .padding = -1}, gen), ValueError);
  CHECK(contains(error_message<ValueError>([&] {
                   Conv2d({.in_channels = 3, .out_channels = 4, .groups = 2}, gen);
                 }),
                 "divisible by groups 2"));
  CHECK_THROWS_AS(BatchNorm2d(0), ValueError);
  CHECK_THROWS_AS(MaxPool2d(0), ValueError);
  CHECK_THROWS_AS(AvgPool2d(2, -1), ValueError);
}

TEST_CASE("pooling and reshaping layers equal their ops") {
  Generator gen(17);
  const Tensor x = Tensor::randn({2, 3, 6, 6}, gen);
  MaxPool2d max_pool(2);
  CHECK(max_pool(x).to_vector() ==
        max_pool2d(x, {.kernel = {2, 2}, .stride = {2, 2}}).to_vector());
  AvgPool2d avg_pool(3, 1, 1);
  CHECK(avg_pool(x).to_vector() ==
        avg_pool2d(x, {.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}}).to_vector());
  GlobalAvgPool2d gap;
  const Tensor g = gap(x);
  CHECK(g.shape() == Shape{2, 3});
  CHECK(g.at({1, 2}) == doctest::Approx(mean(x, {2, 3}).at({1, 2})));
  Flatten flat;
  CHECK(flat(x).shape() == Shape{2, 108});
  Identity id;
  CHECK(id(x).impl() == x.impl());
}

TEST_CASE("describe() reads like PyTorch's repr") {
  Generator gen(18);
  CHECK(Conv2d({.in_channels = 3, .out_channels = 16, .kernel = 3, .stride = 2, .padding = 1,
                .bias = false},
               gen)
            .describe() == "Conv2d(3, 16, kernel_size=3, stride=2, padding=1, bias=False)");
  CHECK(Conv2d({.in_channels = 4, .out_channels = 8, .kernel = 5, .groups = 4}, gen).describe() ==
        "Conv2d(4, 8, kernel_size=5, groups=4)");
  CHECK(Linear(4, 2, gen).describe() == "Linear(in_features=4, out_features=2, bias=True)");
  CHECK(Linear(4, 2, gen, false).describe() == "Linear(in_features=4, out_features=2, bias=False)");
  CHECK(BatchNorm2d(8).describe() == "BatchNorm2d(8)");
  CHECK(MaxPool2d(2).describe() == "MaxPool2d(kernel_size=2, stride=2, padding=0)");
  CHECK(AvgPool2d(3, 1, 1).describe() == "AvgPool2d(kernel_size=3, stride=1, padding=1)");
  CHECK(Activation(ActivationSpec::parse("leaky_relu:0.1")).describe() ==
        "Activation(leaky_relu:0.1)");
  CHECK(Activation().describe() == "Activation(relu)");
  CHECK(Normalize({0.5, 0.25}, {0.2, 0.3}).describe() ==
        "Normalize(mean=[0.5, 0.25], std=[0.2, 0.3])");
  CHECK(Flatten().describe() == "Flatten()");
  CHECK(Identity().describe() == "Identity()");
}
