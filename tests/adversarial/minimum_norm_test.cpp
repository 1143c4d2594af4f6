// DeepFool and Carlini–Wagner L2: the analytic minimal perturbation of a linear two-class model,
// fooling the quadrant model, budgets, targeted CW, determinism and refused options.
#include <cmath>

#include "adversarial/attacks/carlini_wagner.hpp"
#include "adversarial/attacks/deepfool.hpp"
#include "helpers.hpp"

namespace attrax::adversarial {
using namespace testing;

namespace {

// z_0 = 0, z_1 = a·x + b with a fixed ±-pattern of magnitude 0.5 and b chosen so f(x) = z_1 − z_0
// = −0.6 at x = 0.5 everywhere (class 0 by a margin): the boundary is the hyperplane a·x + b = 0.
std::unique_ptr<LinearModel> hyperplane_model(std::vector<float>& a) {
  a.assign(16, 0.0f);
  double a_sum = 0;
  for (int i = 0; i < 16; ++i) {
    a[std::size_t(i)] = (i % 3 == 0) ? 0.5f : -0.5f;
    a_sum += a[std::size_t(i)];
  }
  std::vector<float> w(32, 0.0f);
  for (int i = 0; i < 16; ++i) w[std::size_t(16 + i)] = a[std::size_t(i)];
  const float b = float(-0.6 - 0.5 * a_sum);
  return std::make_unique<LinearModel>(Tensor::from_data(w, {2, 16}), Tensor::from_data(std::vector<float>{0, b}, {2}));
}

const Tensor kMiddle = Tensor::full({1, 1, 4, 4}, 0.5);
const Tensor kClassZero = Tensor::from_data(std::vector<std::int64_t>{0}, {1});

}  // namespace

TEST_CASE("DeepFool L2 on a linear model lands past the nearest boundary point: r* · (1 + overshoot)") {
  // r* = −f / ‖a‖² · a with f = −0.6 and ‖a‖² = 16 · 0.25 = 4, plus 1e-4 in the numerator
  std::vector<float> a;
  auto model = hyperplane_model(a);
  DeepFool deepfool({.norm = Norm::L2, .overshoot = 0.02});
  const Tensor x_adv = deepfool(*model, kMiddle, kClassZero);
  for (int i = 0; i < 16; ++i)
    CHECK(x_adv.data<float>()[i] - 0.5 == doctest::Approx((0.6 + 1e-4) / 4.0 * a[std::size_t(i)] * 1.02).epsilon(1e-4));
  CHECK(accuracy(*model, x_adv, kClassZero) == 0.0);
}

TEST_CASE("DeepFool L∞ on a linear model steps |f| / ‖a‖₁ along sign(a)") {
  // ‖a‖₁ = 8: each pixel moves by (0.6 + 1e-4) / 8 · 1.02
  std::vector<float> a;
  auto model = hyperplane_model(a);
  DeepFool deepfool({.norm = Norm::Linf, .overshoot = 0.02});
  const Tensor x_adv = deepfool(*model, kMiddle, kClassZero);
  for (int i = 0; i < 16; ++i)
    CHECK(x_adv.data<float>()[i] - 0.5 ==
          doctest::Approx((0.6 + 1e-4) / 8.0 * 1.02 * (a[std::size_t(i)] > 0 ? 1 : -1)).epsilon(1e-4));
}

TEST_CASE("CW L2 on a linear model finds a misclassified point near the minimal norm") {
  std::vector<float> a;
  auto model = hyperplane_model(a);
  CarliniWagner cw({.steps = 200, .binary_search_steps = 6, .initial_const = 1.0, .lr = 0.01});
  const Tensor x_adv = cw(*model, kMiddle, kClassZero);
  const double minimal = 0.6 / 2.0;  // |f| / ‖a‖₂
  CHECK(accuracy(*model, x_adv, kClassZero) == 0.0);
  const double norm = max_perturbation(x_adv, kMiddle, Norm::L2);
  CHECK(norm >= minimal * 0.999);
  CHECK(norm <= minimal * 1.05);
}

TEST_CASE("DeepFool and CW fool the quadrant model; budgets keep them in their balls") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  DeepFool deepfool({});
  const Tensor df = deepfool(*model, batch.images, batch.labels);
  CHECK(accuracy(*model, df, batch.labels) == 0.0);
  check_in_ball(df, batch.images, {Norm::L2, 10.0});
  CarliniWagner cw({.steps = 100, .binary_search_steps = 4, .initial_const = 1.0});
  CHECK(accuracy(*model, cw(*model, batch.images, batch.labels), batch.labels) == 0.0);
  const ThreatModel small{Norm::L2, 0.1};
  DeepFool bounded({.budget = small});
  check_in_ball(bounded(*model, batch.images, batch.labels), batch.images, small);
  CarliniWagner bounded_cw({.steps = 20, .binary_search_steps = 2, .eps = 0.1});
  const Tensor cw_small = bounded_cw(*model, batch.images, batch.labels);
  check_in_ball(cw_small, batch.images, small);
  CHECK(accuracy(*model, cw_small, batch.labels) == 1.0);  // 0.1 in L2 cannot cross a 0.2 brightness gap
}

TEST_CASE("targeted CW reaches the target; DeepFool and CW are deterministic and leave weights alone") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  const Tensor targets = Tensor::from_data(std::vector<std::int64_t>{2, 3, 0, 1}, {4});
  CarliniWagner targeted({.steps = 100, .binary_search_steps = 4, .initial_const = 1.0, .targeted = true});
  const Tensor x_adv = targeted(*model, batch.images, targets);
  CHECK(accuracy(*model, x_adv, targets) == 1.0);
  CHECK(targeted(*model, batch.images, targets).to_vector() == x_adv.to_vector());
  DeepFool deepfool({});
  CHECK(deepfool(*model, batch.images, batch.labels).to_vector() ==
        deepfool(*model, batch.images, batch.labels).to_vector());
  CHECK_FALSE(model->weight().grad().defined());
}

TEST_CASE("DeepFool and CW options are validated") {
  CHECK(contains(error_message<ValueError>([] { DeepFool({.steps = 0}); }), "steps"));
  CHECK(contains(error_message<ValueError>([] { DeepFool({.overshoot = -1}); }), "overshoot"));
  CHECK(contains(error_message<ValueError>([] { DeepFool({.candidates = 1}); }), "candidates"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.binary_search_steps = 0}); }),
                 "binary_search_steps"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.kappa = -1}); }), "kappa"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.initial_const = 0}); }), "initial_const"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.eps = -1.0}); }), "eps"));
}

}  // namespace attrax::adversarial
