// Adam and AdamW against torch.optim (foreach=False) on the fixture parameters and gradients, plus
// their argument checks.
#include <doctest/doctest.h>

#include "engine/error.hpp"
#include "nn/optim/adam.hpp"
#include "fixtures.hpp"

using namespace attrax;
using namespace attrax::nn;
using namespace attrax::nn::optim_fixtures;

TEST_CASE("Adam and AdamW match torch.optim step by step") {
  SUBCASE("Adam, default betas and eps") {
    Adam adam(initial_params(), {.lr = 0.1});
    check_against_torch(adam, "adam");
  }
  SUBCASE("Adam, weight decay 1e-2 (L2 in the gradient)") {
    Adam adam(initial_params(), {.lr = 0.1, .weight_decay = 1e-2});
    check_against_torch(adam, "adam_weight_decay");
  }
  SUBCASE("AdamW, weight decay 1e-2 (decoupled)") {
    AdamW adamw(initial_params(), {.lr = 0.1, .weight_decay = 1e-2});
    check_against_torch(adamw, "adamw");
  }
}

TEST_CASE("Adam's first step moves every element by lr against its gradient's sign") {
  // m̂ = g and v̂ = g² after one step, so the update is lr g / (|g| + ε).
  Tensor p = Tensor::from_data(std::vector<float>{0.0f, 0.0f}, Shape{2});
  Adam adam({p}, {.lr = 0.01, .eps = 1e-12});
  p.set_grad(Tensor::from_data(std::vector<float>{3.0f, -1e-3f}, Shape{2}));
  adam.step();
  CHECK(p.at({0}) == doctest::Approx(-0.01).epsilon(1e-6));
  CHECK(p.at({1}) == doctest::Approx(0.01).epsilon(1e-6));
}

TEST_CASE("Adam skips parameters without a gradient and creates no moments for them") {
  std::vector<Tensor> params = initial_params();
  const std::vector<double> frozen = params[0].to_vector();
  Adam adam(params, {.lr = 0.1});
  params[1].set_grad(Tensor::ones({5}));
  adam.step();
  CHECK(params[0].to_vector() == frozen);
  const std::vector<NamedTensor> state = adam.state();
  REQUIRE(state.size() == 3);
  CHECK(state[1].name == "1.exp_avg");
  CHECK(state[2].name == "1.exp_avg_sq");
}

TEST_CASE("Adam and AdamW reject invalid options, naming the option and the value") {
  const std::vector<Tensor> params = initial_params();
  CHECK_THROWS_WITH_AS(Adam(params, {.lr = -1e-3}), "Optimizer: lr must be >= 0, got -0.001",
                       ValueError);
  CHECK_THROWS_WITH_AS(Adam(params, {.beta1 = 1.0}), "Adam: beta1 must be in [0, 1), got 1",
                       ValueError);
  CHECK_THROWS_WITH_AS(Adam(params, {.beta1 = -0.1}), "Adam: beta1 must be in [0, 1), got -0.1",
                       ValueError);
  CHECK_THROWS_WITH_AS(Adam(params, {.beta2 = 1.5}), "Adam: beta2 must be in [0, 1), got 1.5",
                       ValueError);
  CHECK_THROWS_WITH_AS(Adam(params, {.eps = 0.0}), "Adam: eps must be > 0, got 0", ValueError);
  CHECK_THROWS_WITH_AS(Adam(params, {.weight_decay = -0.01}),
                       "Adam: weight_decay must be >= 0, got -0.01", ValueError);
  CHECK_THROWS_WITH_AS(AdamW(params, {.weight_decay = -0.01}),
                       "AdamW: weight_decay must be >= 0, got -0.01", ValueError);
}
