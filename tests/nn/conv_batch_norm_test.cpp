// nn::conv_batch_norm: in eval mode the folded convolution gives bn(conv(x)) and the same gradients
// for x, w, b, γ and β (and passes the gradient checker in float64); in training mode, with a hook on
// either module, or without running statistics it runs the two modules, so hooks see their outputs.
// conv_batch_norm_activation in eval mode with a ReLU is one conv2d_scaled_relu op, unless the
// activation has a hook or is not a ReLU.
#include <doctest/doctest.h>

#include <vector>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "nn/nn.hpp"
#include "support/gradcheck.hpp"

using namespace attrax;
using namespace attrax::nn;
using namespace attrax::nn::testing;

namespace {

// A conv (with bias, stride 2, 2 groups) and a batch norm with non-trivial statistics and affine
// parameters, both in eval mode.
struct Pair {
  Generator gen{23};
  Conv2d conv{{.in_channels = 4, .out_channels = 6, .kernel = 3, .stride = 2, .padding = 1,
               .groups = 2, .bias = true},
              gen};
  BatchNorm2d bn{6, 1e-3};

  explicit Pair(DType dtype) {
    conv.weight = conv.weight.to(dtype).detach().requires_grad_();
    conv.bias = conv.bias.to(dtype).detach().requires_grad_();
    bn.weight = (Tensor::rand({6}, gen, dtype) + 0.5).requires_grad_();
    bn.bias = Tensor::randn({6}, gen, dtype).requires_grad_();
    bn.running_mean = Tensor::randn({6}, gen, dtype);
    bn.running_var = Tensor::rand({6}, gen, dtype) + 0.2;
    conv.eval();
    bn.eval();
  }
};

}  // namespace

TEST_CASE("conv_batch_norm in eval mode equals bn(conv(x)), values and gradients") {
  Pair p(DType::Float32);
  const Tensor x = Tensor::randn({3, 4, 9, 7}, p.gen).requires_grad_();
  const std::vector<Tensor> wrt = {x, p.conv.weight, p.conv.bias, p.bn.weight, p.bn.bias};

  const Tensor folded = conv_batch_norm(p.conv, p.bn, x);
  const Tensor separate = p.bn(p.conv(x));
  REQUIRE(folded.grad_fn());
  CHECK(folded.grad_fn()->name == "conv2d_scaled");  // one op: the batch norm is in its weights
  CHECK(separate.grad_fn()->name == "batch_norm");
  CHECK(folded.shape() == separate.shape());
  CHECK(max_abs_diff(folded, separate) < 1e-5);

  const Tensor v = Tensor::randn(folded.shape(), p.gen);
  const std::vector<Tensor> g_folded = grad({folded}, wrt, {v});
  const std::vector<Tensor> g_separate = grad({separate}, wrt, {v});
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    CAPTURE(i);
    CHECK(max_abs_diff(g_folded[i], g_separate[i]) < 1e-4);
  }
}

TEST_CASE("conv_batch_norm without a tape folds in one loop and gives the recorded fold's values") {
  for (const bool with_affine_and_bias : {true, false}) {
    CAPTURE(with_affine_and_bias);
    Pair p(DType::Float32);
    if (!with_affine_and_bias) {
      p.conv.bias = Tensor();
      p.bn.weight = Tensor();
      p.bn.bias = Tensor();
    }
    const Tensor x = Tensor::randn({2, 4, 9, 7}, p.gen);
    const Tensor recorded = conv_batch_norm(p.conv, p.bn, x);
    REQUIRE(recorded.grad_fn());  // the parameters require grad: the ops path ran
    Tensor untaped;
    {
      NoGradGuard no_grad;
      untaped = conv_batch_norm(p.conv, p.bn, x);
    }
    CHECK_FALSE(untaped.requires_grad());
    CHECK(max_abs_diff(untaped, recorded) < 1e-6);
    CHECK(max_abs_diff(untaped, p.bn(p.conv(x)).detach()) < 1e-5);
  }
}

TEST_CASE("conv_batch_norm's fold passes the gradient checker in float64") {
  Pair p(DType::Float64);
  const Tensor x = Tensor::randn({2, 4, 6, 5}, p.gen, DType::Float64);
  const auto f = [&](const std::vector<Tensor>& in) {
    p.conv.weight = in[1];
    p.conv.bias = in[2];
    p.bn.weight = in[3];
    p.bn.bias = in[4];
    return conv_batch_norm(p.conv, p.bn, in[0]);
  };
  const auto result = attrax::testing::gradcheck(
      f, {x, p.conv.weight.detach(), p.conv.bias.detach(), p.bn.weight.detach(), p.bn.bias.detach()});
  INFO(result.report);
  CHECK(result.ok);
  CHECK(result.checked > 0);
}

TEST_CASE("the fold's gradients of both orders reach gamma, beta, the bias and the running statistics") {
  Pair p(DType::Float64);
  const Tensor x = Tensor::randn({2, 4, 5, 5}, p.gen, DType::Float64);
  const auto f = [&](const std::vector<Tensor>& in) {
    p.conv.bias = in[0];
    p.bn.weight = in[1];
    p.bn.bias = in[2];
    p.bn.running_mean = in[3];
    p.bn.running_var = in[4];
    return conv_batch_norm(p.conv, p.bn, x);
  };
  const std::vector<Tensor> inputs{p.conv.bias.detach(), p.bn.weight.detach(), p.bn.bias.detach(),
                                   p.bn.running_mean.clone(), p.bn.running_var.clone()};
  const auto first = attrax::testing::gradcheck(f, inputs);
  INFO(first.report);
  CHECK(first.ok);
  CHECK(first.checked > 0);
  const auto second = attrax::testing::gradgradcheck(f, inputs);
  INFO(second.report);
  CHECK(second.ok);
  CHECK(second.checked > 0);
}

TEST_CASE("conv_batch_norm runs the two modules in training mode and for hooks") {
  Pair p(DType::Float32);
  const Tensor x = Tensor::randn({4, 4, 6, 6}, p.gen);

  SUBCASE("training mode uses batch statistics and updates the running ones") {
    p.conv.train();
    p.bn.train();
    const Tensor before = p.bn.running_mean.clone();
    const Tensor y = conv_batch_norm(p.conv, p.bn, x);
    CHECK(y.grad_fn()->name == "batch_norm");
    // per channel, batch-normalised output has mean β
    const Tensor channel_mean = mean(y, {0, 2, 3});
    CHECK(max_abs_diff(channel_mean, p.bn.bias) < 1e-4);
    CHECK(max_abs_diff(before, p.bn.running_mean) > 1e-3);
  }
  SUBCASE("a hook on the batch norm sees and may replace its output") {
    int calls = 0;
    p.bn.set_forward_hook([&](const Tensor& y) {
      ++calls;
      return y * 2.0;
    });
    const Tensor hooked = conv_batch_norm(p.conv, p.bn, x);
    CHECK(calls == 1);
    p.bn.set_forward_hook(nullptr);
    CHECK(max_abs_diff(hooked, conv_batch_norm(p.conv, p.bn, x) * 2.0) < 1e-5);
  }
  SUBCASE("a hook on the convolution sees its output") {
    Tensor seen;
    p.conv.set_forward_hook([&](const Tensor& y) {
      seen = y;
      return y;
    });
    conv_batch_norm(p.conv, p.bn, x);
    REQUIRE(seen.defined());
    CHECK(max_abs_diff(seen, conv2d(x, p.conv.weight, p.conv.bias, p.conv.options())) == 0);
  }
}

TEST_CASE("conv_batch_norm_activation in eval mode is one conv2d_scaled_relu op, as the modules in turn") {
  Pair p(DType::Float32);
  Activation relu_module;
  const Tensor x = Tensor::randn({3, 4, 9, 7}, p.gen).requires_grad_();
  const Tensor residual = Tensor::randn({3, 6, 5, 4}, p.gen).requires_grad_();
  const std::vector<Tensor> wrt = {x, residual, p.conv.weight, p.conv.bias, p.bn.weight, p.bn.bias};

  const Tensor fused = conv_batch_norm_activation(p.conv, p.bn, relu_module, x, residual);
  const Tensor separate = relu_module(p.bn(p.conv(x)) + residual);
  REQUIRE(fused.grad_fn());
  CHECK(fused.grad_fn()->name == "conv2d_scaled_relu");
  CHECK(max_abs_diff(fused, separate) < 1e-5);
  const Tensor v = Tensor::randn(fused.shape(), p.gen);
  const std::vector<Tensor> g_fused = grad({fused}, wrt, {v});
  const std::vector<Tensor> g_separate = grad({separate}, wrt, {v});
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    CAPTURE(i);
    CHECK(max_abs_diff(g_fused[i], g_separate[i]) < 1e-4);
  }

  SUBCASE("a hook on the activation sees the ReLU's own output") {
    int calls = 0;
    relu_module.set_forward_hook([&](const Tensor& y) {
      ++calls;
      return y;
    });
    const Tensor hooked = conv_batch_norm_activation(p.conv, p.bn, relu_module, x, residual);
    CHECK(calls == 1);
    CHECK(hooked.grad_fn()->name == "relu");
    CHECK(max_abs_diff(hooked, fused) < 1e-5);
  }
  SUBCASE("a smooth activation is applied as its own op") {
    Activation softplus({.kind = ActivationSpec::Kind::Softplus});
    const Tensor smooth = conv_batch_norm_activation(p.conv, p.bn, softplus, x, residual);
    CHECK(smooth.grad_fn()->name != "conv2d_scaled_relu");
    CHECK(max_abs_diff(smooth, softplus(p.bn(p.conv(x)) + residual)) < 1e-5);
  }
}
