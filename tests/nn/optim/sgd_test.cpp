// Sgd against torch.optim.SGD (foreach=False) on the fixture parameters and gradients, plus its
// argument checks and the skipping of parameters without a gradient.
#include <doctest/doctest.h>

#include "engine/error.hpp"
#include "fixtures.hpp"
#include "nn/optim/sgd.hpp"

using namespace attrax;
using namespace attrax::nn;
using namespace attrax::nn::optim_fixtures;

TEST_CASE("Sgd matches torch.optim.SGD step by step") {
  SUBCASE("plain") {
    Sgd sgd(initial_params(), {.lr = 0.1});
    check_against_torch(sgd, "sgd");
  }
  SUBCASE("momentum 0.9") {
    Sgd sgd(initial_params(), {.lr = 0.1, .momentum = 0.9});
    check_against_torch(sgd, "sgd_momentum");
  }
  SUBCASE("momentum 0.9, Nesterov, weight decay 5e-4") {
    Sgd sgd(initial_params(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4, .nesterov = true});
    check_against_torch(sgd, "sgd_nesterov");
  }
  SUBCASE("momentum 0.9, dampening 0.1") {
    Sgd sgd(initial_params(), {.lr = 0.1, .momentum = 0.9, .dampening = 0.1});
    check_against_torch(sgd, "sgd_dampening");
  }
}

TEST_CASE("Sgd uses the lr set between steps") {
  Tensor p = Tensor::from_data(std::vector<float>{1.0f}, Shape{1});
  Sgd sgd({p}, {.lr = 0.5});
  p.set_grad(Tensor::from_data(std::vector<float>{2.0f}, Shape{1}));
  sgd.step();
  CHECK(p.at({0}) == 0.0);  // 1 − 0.5 · 2
  sgd.set_lr(0.25);
  sgd.step();
  CHECK(p.at({0}) == -0.5);  // 0 − 0.25 · 2
  CHECK(sgd.lr() == 0.25);
}

TEST_CASE("Sgd skips parameters without a gradient and zero_grad clears them all") {
  std::vector<Tensor> params = initial_params();
  const std::vector<double> frozen = params[1].to_vector();
  Sgd sgd(params, {.lr = 0.1, .momentum = 0.9});
  params[0].set_grad(Tensor::ones({3, 4}));
  sgd.step();
  CHECK(params[1].to_vector() == frozen);
  CHECK(params[0].at({0, 0}) == doctest::Approx(load("param0").at({0, 0}) - 0.1));
  const std::vector<NamedTensor> state = sgd.state();
  REQUIRE(state.size() == 2);  // "step" and parameter 0's buffer only
  CHECK(state[1].name == "0.momentum_buffer");
  CHECK(sgd.steps() == 1);

  sgd.zero_grad();
  CHECK_FALSE(params[0].grad().defined());
  sgd.step();  // nothing to update, but the step counts
  CHECK(sgd.steps() == 2);
}

TEST_CASE("Sgd rejects invalid options, naming the option and the value") {
  const std::vector<Tensor> params = initial_params();
  CHECK_THROWS_WITH_AS(Sgd(params, {.lr = -0.1}), "Optimizer: lr must be >= 0, got -0.1",
                       ValueError);
  CHECK_THROWS_WITH_AS(Sgd(params, {.momentum = -0.5}), "Sgd: momentum must be >= 0, got -0.5",
                       ValueError);
  CHECK_THROWS_WITH_AS(Sgd(params, {.weight_decay = -1e-4}),
                       "Sgd: weight_decay must be >= 0, got -0.0001", ValueError);
  CHECK_THROWS_WITH_AS(Sgd(params, {.nesterov = true}),
                       "Sgd: momentum must be > 0 for nesterov, got 0", ValueError);
  CHECK_THROWS_WITH_AS(Sgd(params, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                       "Sgd: dampening must be 0 for nesterov, got 0.1", ValueError);
  Sgd sgd(params, {});
  CHECK_THROWS_WITH_AS(sgd.set_lr(-1), doctest::Contains("lr must be >= 0, got -1"), ValueError);
  CHECK(sgd.lr() == 0.1);
}

TEST_CASE("Sgd rejects parameters that are not float32 or undefined") {
  CHECK_THROWS_WITH_AS(Sgd({Tensor::zeros({2}), Tensor::zeros({2}, DType::Float64)}, {}),
                       doctest::Contains("parameter 1 is float64"), DTypeError);
  CHECK_THROWS_WITH_AS(Sgd({Tensor()}, {}), doctest::Contains("parameter 0 is undefined"),
                       ValueError);
}
