// Optimizer state: what state() holds, that a run resumed from it continues bit for bit, and that
// load_state rejects states that do not fit, naming the entry.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <memory>

#include "engine/error.hpp"
#include "fixtures.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"

using namespace attrax;
using namespace attrax::nn;
using namespace attrax::nn::optim_fixtures;

namespace {

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

std::vector<Tensor> clones(const std::vector<Tensor>& params) {
  std::vector<Tensor> copies;
  for (const Tensor& p : params) copies.push_back(p.clone().requires_grad_());
  return copies;
}

void run_steps(Optimizer& optimizer, int first, int last) {
  for (int t = first; t < last; ++t) {
    set_fixture_grads(optimizer.params(), t);
    optimizer.step();
  }
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data<float>(), b.data<float>(), a.numel() * sizeof(float)) == 0;
}

// Five uninterrupted steps against k steps, state() into a fresh optimizer over clones of the
// parameters, load_state and the remaining steps.
void check_resume(const MakeOptimizer& make, int k) {
  std::unique_ptr<Optimizer> uninterrupted = make(initial_params());
  run_steps(*uninterrupted, 0, kSteps);

  std::unique_ptr<Optimizer> first = make(initial_params());
  run_steps(*first, 0, k);
  const std::vector<NamedTensor> saved = first->state();
  std::unique_ptr<Optimizer> resumed = make(clones(first->params()));
  run_steps(*first, k, kSteps);  // the saved state must not alias the first run's buffers
  resumed->load_state(saved);
  CHECK(resumed->steps() == k);
  run_steps(*resumed, k, kSteps);

  CHECK(resumed->steps() == kSteps);
  for (int i = 0; i < kParams; ++i) {
    CHECK_MESSAGE(bit_identical(resumed->params()[i], uninterrupted->params()[i]),
                  "parameter " << i << " resumed after step " << k << " differs");
  }
}

const std::vector<std::pair<const char*, MakeOptimizer>> kOptimizers = {
    {"Sgd (Nesterov)",
     [](std::vector<Tensor> p) {
       return std::make_unique<Sgd>(std::move(p), SgdOptions{.lr = 0.1, .momentum = 0.9,
                                                             .weight_decay = 5e-4,
                                                             .nesterov = true});
     }},
    {"Adam",
     [](std::vector<Tensor> p) {
       return std::make_unique<Adam>(std::move(p), AdamOptions{.lr = 0.1, .weight_decay = 1e-2});
     }},
    {"AdamW",
     [](std::vector<Tensor> p) {
       return std::make_unique<AdamW>(std::move(p), AdamOptions{.lr = 0.1, .weight_decay = 1e-2});
     }},
};

std::vector<std::string> names(const std::vector<NamedTensor>& state) {
  std::vector<std::string> result;
  for (const NamedTensor& entry : state) result.push_back(entry.name);
  return result;
}

}  // namespace

TEST_CASE("a run resumed from state() continues bit for bit") {
  for (const auto& [name, make] : kOptimizers) {
    for (int k : {1, 3}) {
      CAPTURE(name);
      CAPTURE(k);
      check_resume(make, k);
    }
  }
}

TEST_CASE("state() names the step and every buffer, as clones") {
  Adam adam(initial_params(), {.lr = 0.1});
  CHECK(names(adam.state()) == std::vector<std::string>{"step"});
  run_steps(adam, 0, 2);
  const std::vector<NamedTensor> state = adam.state();
  CHECK(names(state) ==
        std::vector<std::string>{"step", "0.exp_avg", "1.exp_avg", "0.exp_avg_sq", "1.exp_avg_sq"});
  CHECK(state[0].tensor.dtype() == DType::Int64);
  CHECK(state[0].tensor.rank() == 0);
  CHECK(state[0].tensor.item() == 2);
  CHECK(state[1].tensor.shape() == Shape{3, 4});

  const std::vector<double> saved = state[1].tensor.to_vector();
  run_steps(adam, 2, 3);
  CHECK(state[1].tensor.to_vector() == saved);

  Sgd sgd(initial_params(), {.momentum = 0.9});
  run_steps(sgd, 0, 1);
  CHECK(names(sgd.state()) ==
        std::vector<std::string>{"step", "0.momentum_buffer", "1.momentum_buffer"});
}

TEST_CASE("load_state rejects states that do not fit, naming the entry") {
  Adam adam(initial_params(), {.lr = 0.1});
  run_steps(adam, 0, 1);
  const std::vector<NamedTensor> good = adam.state();
  Sgd sgd(initial_params(), {.momentum = 0.9});

  SUBCASE("missing step") {
    const std::vector<NamedTensor> state(good.begin() + 1, good.end());
    CHECK_THROWS_WITH_AS(adam.load_state(state), doctest::Contains("entry 'step' is missing"),
                         ValueError);
  }
  SUBCASE("step of the wrong type") {
    std::vector<NamedTensor> state = good;
    state[0].tensor = Tensor::scalar(1.0);
    CHECK_THROWS_WITH_AS(adam.load_state(state),
                         doctest::Contains("entry 'step' must be an int64 scalar, got [] float32"),
                         ValueError);
  }
  SUBCASE("negative step") {
    std::vector<NamedTensor> state = good;
    state[0].tensor = Tensor::scalar(-1.0, DType::Int64);
    CHECK_THROWS_WITH_AS(adam.load_state(state), doctest::Contains("entry 'step' must be >= 0"),
                         ValueError);
  }
  SUBCASE("another optimizer's buffer") {
    CHECK_THROWS_WITH_AS(sgd.load_state(good), doctest::Contains("entry '0.exp_avg' is unexpected"),
                         ValueError);
  }
  SUBCASE("parameter index out of range") {
    std::vector<NamedTensor> state = good;
    state.push_back({"2.exp_avg", Tensor::zeros({5})});
    CHECK_THROWS_WITH_AS(adam.load_state(state),
                         doctest::Contains("entry '2.exp_avg' is unexpected: this optimizer over 2 "
                                           "parameters expects 'step', '<i>.exp_avg', "
                                           "'<i>.exp_avg_sq'"),
                         ValueError);
  }
  SUBCASE("malformed name") {
    std::vector<NamedTensor> state = good;
    state.push_back({"x.exp_avg", Tensor::zeros({5})});
    CHECK_THROWS_WITH_AS(adam.load_state(state), doctest::Contains("entry 'x.exp_avg' is unexpected"),
                         ValueError);
  }
  SUBCASE("wrong shape") {
    std::vector<NamedTensor> state = good;
    state[2].tensor = Tensor::zeros({4, 3});
    CHECK_THROWS_WITH_AS(adam.load_state(state),
                         doctest::Contains("entry '1.exp_avg' is [4, 3] float32 but parameter 1 "
                                           "is [5] float32"),
                         ValueError);
  }
  SUBCASE("wrong dtype") {
    std::vector<NamedTensor> state = good;
    state[1].tensor = Tensor::zeros({3, 4}, DType::Float64);
    CHECK_THROWS_WITH_AS(adam.load_state(state), doctest::Contains("entry '0.exp_avg' is [3, 4] float64"),
                         ValueError);
  }
  SUBCASE("duplicate entry") {
    std::vector<NamedTensor> state = good;
    state.push_back(good[1]);
    CHECK_THROWS_WITH_AS(adam.load_state(state), doctest::Contains("entry '0.exp_avg' appears twice"),
                         ValueError);
  }
  SUBCASE("a rejected state leaves the optimizer as it was") {
    std::vector<NamedTensor> state = good;
    state[0].tensor = Tensor::scalar(7.0, DType::Int64);
    state.push_back({"junk", Tensor::zeros({1})});
    CHECK_THROWS_AS(adam.load_state(state), ValueError);
    CHECK(adam.steps() == 1);
    CHECK(names(adam.state()) == names(good));
  }
}

TEST_CASE("load_state rejects an Adam state with only one of the two moments") {
  std::vector<Tensor> params = {Tensor::ones({3}).requires_grad_()};
  Adam adam(params, {});
  params[0].set_grad(Tensor::ones({3}));
  adam.step();
  std::vector<NamedTensor> state = adam.state();
  std::erase_if(state, [](const NamedTensor& e) { return e.name == "0.exp_avg_sq"; });
  Adam fresh({Tensor::ones({3}).requires_grad_()}, {});
  CHECK_THROWS_WITH_AS(fresh.load_state(state), doctest::Contains("only one of '0.exp_avg'"),
                       ValueError);
  CHECK(fresh.steps() == 0);
}
