// Learning-rate schedules against the lr sequences of PyTorch's schedulers stepped once per
// optimizer step (tests/golden/make_optim_fixtures.py), plus their argument checks.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "engine/error.hpp"
#include "fixtures.hpp"
#include "nn/optim/lr_schedule.hpp"

using namespace attrax;
using namespace attrax::nn;

namespace {

// PyTorch's schedulers apply chained products and ratios, the closed forms do not, so the two
// agree to rounding, not bit for bit.
constexpr double kTolerance = 1e-9;

// lr_at(t) for every t of optim_lr_<name> equals PyTorch's lr for update t.
void check_against_torch(const LrSchedule& schedule, const std::string& name) {
  const std::vector<double> expected = optim_fixtures::load("lr_" + name).to_vector();
  REQUIRE(expected.size() >= 50);
  for (std::size_t t = 0; t < expected.size(); ++t) {
    const double actual = schedule.lr_at(static_cast<std::int64_t>(t));
    CHECK_MESSAGE(std::abs(actual - expected[t]) <= kTolerance * std::abs(expected[t]),
                  name << ": lr at step " << t << " is " << actual << ", PyTorch has "
                       << expected[t]);
  }
}

}  // namespace

TEST_CASE("schedules match PyTorch's schedulers") {
  check_against_torch(StepLr(0.1, 7, 0.5), "step");
  check_against_torch(CosineLr(0.1, 80, 1e-3), "cosine");
  check_against_torch(OneCycleLr(0.5, 100, 0.3), "onecycle");
  check_against_torch(OneCycleLr(0.2, 77, 0.25, 10.0, 100.0), "onecycle_fractional");
  check_against_torch(CyclicLr(1e-3, 0.1, 7, 5), "cyclic");
  check_against_torch(CyclicLr(0.01, 0.05, 10), "cyclic_symmetric");
}

TEST_CASE("schedules at their ends") {
  CHECK(ConstantLr(0.3).lr_at(12345) == 0.3);
  CHECK(StepLr(1.0, 3).lr_at(2) == 1.0);
  CHECK(StepLr(1.0, 3).lr_at(3) == doctest::Approx(0.1));
  CHECK(CosineLr(0.1, 10, 0.01).lr_at(10) == 0.01);
  CHECK(CosineLr(0.1, 10, 0.01).lr_at(1000) == 0.01);
  // OneCycleLr reaches max / (div_factor final_div_factor) at the last update and stays there
  // (PyTorch raises past total_steps).
  const OneCycleLr one_cycle(1.0, 20, 0.25, 10.0, 100.0);
  CHECK(one_cycle.lr_at(0) == doctest::Approx(0.1));
  CHECK(one_cycle.lr_at(4) == doctest::Approx(1.0));  // the warm-up ends at 0.25 · 20 − 1
  CHECK(one_cycle.lr_at(19) == 1e-3);
  CHECK(one_cycle.lr_at(500) == 1e-3);
  CHECK(OneCycleLr(1.0, 1).lr_at(0) == doctest::Approx(1.0 / 25 / 1e4));
  // CyclicLr repeats with period step_size_up + step_size_down.
  const CyclicLr cyclic(0.0, 1.0, 4, 2);
  CHECK(cyclic.lr_at(4) == doctest::Approx(1.0));
  CHECK(cyclic.lr_at(5) == doctest::Approx(0.5));
  CHECK(cyclic.lr_at(6) == doctest::Approx(0.0));
  CHECK(cyclic.lr_at(6 * 7 + 2) == doctest::Approx(0.5));
}

TEST_CASE("schedules reject invalid arguments, naming the option and the value") {
  CHECK_THROWS_WITH_AS(ConstantLr(-1.0), "ConstantLr: base_lr must be >= 0, got -1", ValueError);
  CHECK_THROWS_WITH_AS(StepLr(-0.1, 5), "StepLr: base_lr must be >= 0, got -0.1", ValueError);
  CHECK_THROWS_WITH_AS(StepLr(0.1, 0), "StepLr: step_size must be > 0, got 0", ValueError);
  CHECK_THROWS_WITH_AS(StepLr(0.1, 5, -0.5), "StepLr: gamma must be >= 0, got -0.5", ValueError);
  CHECK_THROWS_WITH_AS(CosineLr(0.1, 0), "CosineLr: total_steps must be > 0, got 0", ValueError);
  CHECK_THROWS_WITH_AS(CosineLr(0.1, 10, -1e-3), "CosineLr: min_lr must be >= 0, got -0.001",
                       ValueError);
  CHECK_THROWS_WITH_AS(OneCycleLr(-0.5, 100), "OneCycleLr: max_lr must be >= 0, got -0.5",
                       ValueError);
  CHECK_THROWS_WITH_AS(OneCycleLr(0.5, -3), "OneCycleLr: total_steps must be > 0, got -3",
                       ValueError);
  CHECK_THROWS_WITH_AS(OneCycleLr(0.5, 100, 0.0), "OneCycleLr: pct_start must be in (0, 1), got 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(OneCycleLr(0.5, 100, 1.0), "OneCycleLr: pct_start must be in (0, 1), got 1",
                       ValueError);
  CHECK_THROWS_WITH_AS(OneCycleLr(0.5, 100, 0.3, 0.0),
                       "OneCycleLr: div_factor must be > 0, got 0", ValueError);
  CHECK_THROWS_WITH_AS(OneCycleLr(0.5, 100, 0.3, 25.0, -1.0),
                       "OneCycleLr: final_div_factor must be > 0, got -1", ValueError);
  CHECK_THROWS_WITH_AS(CyclicLr(-1e-3, 0.1, 5), "CyclicLr: base_lr must be >= 0, got -0.001",
                       ValueError);
  CHECK_THROWS_WITH_AS(CyclicLr(1e-3, -0.1, 5), "CyclicLr: max_lr must be >= 0, got -0.1",
                       ValueError);
  CHECK_THROWS_WITH_AS(CyclicLr(1e-3, 0.1, 0), "CyclicLr: step_size_up must be > 0, got 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(CyclicLr(1e-3, 0.1, 5, -2),
                       doctest::Contains("CyclicLr: step_size_down must be >= 0"), ValueError);
  CHECK_THROWS_WITH_AS(CosineLr(0.1, 10).lr_at(-1), "CosineLr: step must be >= 0, got -1",
                       ValueError);
}
