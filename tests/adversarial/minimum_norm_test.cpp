// DeepFool and Carlini–Wagner L2, the minimum-norm attacks: the analytic minimal perturbation of
// linear models (two classes, and the four-class quadrant model), the pixel box without a budget,
// the ball with one, targeted CW, determinism, no parameter gradients and refused options.
#include <algorithm>
#include <cmath>

#include "adversarial/attacks/carlini_wagner.hpp"
#include "adversarial/attacks/deepfool.hpp"
#include "helpers.hpp"

namespace attrax::adversarial {
using namespace testing;

namespace {

constexpr double kMargin = 0.6;  // −f(x) at the grey image x = 0.5: class 0 wins by this much

// Two classes with z_0 = 0 and z_1 = a·x + b, so f = z_1 − z_0 = a·x + b and w = ∇f = a. The
// weights have unequal magnitudes (0.25 … 1) so the L2 and L∞ answers differ; b makes f(0.5) = −0.6.
std::unique_ptr<LinearModel> hyperplane_model(std::vector<float>& a) {
  a.assign(16, 0.0f);
  double a_sum = 0;
  for (int i = 0; i < 16; ++i) {
    a[std::size_t(i)] = float((i % 3 == 0 ? 1 : -1) * 0.25 * (1 + i % 4));
    a_sum += a[std::size_t(i)];
  }
  std::vector<float> w(32, 0.0f);
  std::copy(a.begin(), a.end(), w.begin() + 16);
  const float b = float(-kMargin - 0.5 * a_sum);
  return std::make_unique<LinearModel>(Tensor::from_data(w, {2, 16}),
                                       Tensor::from_data(std::vector<float>{0, b}, {2}));
}

double squared_l2(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += double(v) * v;
  return s;
}

double l1(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += std::abs(double(v));
  return s;
}

Tensor grey_image() { return Tensor::full({1, 1, 4, 4}, 0.5); }
Tensor class_zero() { return Tensor::from_data(std::vector<std::int64_t>{0}, {1}); }

// The quadrant batch pushed to the corners of the box: the true quadrant 1, the others 0.
Tensor black_and_white(const Tensor& images) {
  NoGradGuard no_grad;
  return clamp((images - 0.4) * 5.0, 0.0, 1.0);
}

}  // namespace

TEST_CASE("DeepFool L2 on a two-class linear model: the projection onto the boundary, times 1 + overshoot") {
  // r* = −f / ‖w‖₂² · w = 0.6 / ‖a‖² · a  (DeepFool adds 1e-4 to |f| to land just past the boundary)
  std::vector<float> a;
  auto model = hyperplane_model(a);
  DeepFool deepfool({.norm = Norm::L2, .overshoot = 0.02});
  const Tensor x = grey_image();
  const Tensor x_adv = deepfool(*model, x, class_zero());
  for (std::size_t i = 0; i < 16; ++i)
    CHECK(x_adv.data<float>()[i] - 0.5 ==
          doctest::Approx(1.02 * (kMargin + 1e-4) / squared_l2(a) * a[i]).epsilon(1e-4));
  CHECK(max_perturbation(x_adv, x, Norm::L2) ==
        doctest::Approx(1.02 * kMargin / std::sqrt(squared_l2(a))).epsilon(1e-3));
  CHECK(accuracy(*model, x_adv, class_zero()) == 0.0);
}

TEST_CASE("DeepFool L∞ on a two-class linear model: |f| / ‖w‖₁ · sign(w), times 1 + overshoot") {
  std::vector<float> a;
  auto model = hyperplane_model(a);
  DeepFool deepfool({.norm = Norm::Linf, .overshoot = 0.02});
  const Tensor x_adv = deepfool(*model, grey_image(), class_zero());
  for (std::size_t i = 0; i < 16; ++i)
    CHECK(x_adv.data<float>()[i] - 0.5 ==
          doctest::Approx(1.02 * (kMargin + 1e-4) / l1(a) * (a[i] > 0 ? 1.0 : -1.0)).epsilon(1e-4));
  CHECK(accuracy(*model, x_adv, class_zero()) == 0.0);
}

TEST_CASE("DeepFool on the quadrant model reaches the nearest of its three boundaries in one step") {
  // For y and any other quadrant k: f_k = 4 · (0.4 − 0.6) = −0.8 and w_k = ±1 on 8 pixels, so
  // ‖w_k‖₂ = √8 and ‖w_k‖₁ = 8: the minimal L2 norm is 0.8/√8 and the minimal L∞ norm 0.8/8.
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  for (Norm norm : {Norm::L2, Norm::Linf}) {
    CAPTURE(norm_name(norm));
    DeepFool deepfool({.norm = norm});
    const Tensor x_adv = deepfool(*model, batch.images, batch.labels);
    const double minimal = 0.8 / (norm == Norm::L2 ? std::sqrt(8.0) : 8.0);
    for (double size : per_sample_norm(x_adv - batch.images, norm).to_vector())
      CHECK(size == doctest::Approx(1.02 * minimal).epsilon(1e-3));
    CHECK(accuracy(*model, x_adv, batch.labels) == 0.0);
  }
}

TEST_CASE("CW L2 on a two-class linear model lands just past the boundary, near the minimal norm") {
  std::vector<float> a;
  auto model = hyperplane_model(a);
  CarliniWagner cw;
  const Tensor x = grey_image();
  const Tensor x_adv = cw(*model, x, class_zero());
  const double minimal = kMargin / std::sqrt(squared_l2(a));  // ‖r*‖₂ = |f| / ‖w‖₂
  CHECK(accuracy(*model, x_adv, class_zero()) == 0.0);
  const double size = max_perturbation(x_adv, x, Norm::L2);
  CHECK(size >= minimal * (1 - 1e-4));
  CHECK(size <= minimal * 1.01);
}

TEST_CASE("DeepFool and CW fool the quadrant model and, without a budget, stay in [0, 1]") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  REQUIRE(accuracy(*model, batch.images, batch.labels) == 1.0);
  DeepFool deepfool;
  CarliniWagner cw;
  CHECK_FALSE(deepfool.threat().has_value());
  CHECK_FALSE(cw.threat().has_value());
  // On a black-and-white image, an overshoot of 2 would push pixels to −0.5 and 1.5 before clipping.
  // (CW stays in the box by construction, x' = (tanh(w) + 1) / 2.)
  const Tensor corners = black_and_white(batch.images);
  DeepFool overshooting({.overshoot = 2.0});
  for (const Tensor& x_adv : {deepfool(*model, batch.images, batch.labels),
                              overshooting(*model, corners, batch.labels), cw(*model, batch.images, batch.labels)}) {
    NoGradGuard no_grad;
    CHECK(-max(-x_adv).item() >= 0.0);
    CHECK(max(x_adv).item() <= 1.0);
    CHECK(accuracy(*model, x_adv, batch.labels) == 0.0);
  }
}

TEST_CASE("DeepFool and CW with a budget return points in the ball") {
  // Crossing a quadrant boundary needs L2 0.8/√8 ≈ 0.28 or L∞ 0.1: these budgets are too small.
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  for (const ThreatModel& budget : {ThreatModel{Norm::L2, 0.2}, ThreatModel{Norm::Linf, 0.05}}) {
    CAPTURE(norm_name(budget.norm));
    DeepFool deepfool({.norm = budget.norm, .budget = budget});
    REQUIRE(deepfool.threat().has_value());
    const Tensor x_adv = deepfool(*model, batch.images, batch.labels);
    check_in_ball(x_adv, batch.images, budget);
    CHECK(accuracy(*model, x_adv, batch.labels) == 1.0);
  }
  CarliniWagner cw({.steps = 30, .binary_search_steps = 3, .eps = 0.2});
  REQUIRE(cw.threat().has_value());
  CHECK(cw.threat()->norm == Norm::L2);
  const Tensor x_adv = cw(*model, batch.images, batch.labels);
  check_in_ball(x_adv, batch.images, {Norm::L2, 0.2});
  CHECK(accuracy(*model, x_adv, batch.labels) == 1.0);
  CarliniWagner generous({.eps = 0.5});
  check_in_ball(generous(*model, batch.images, batch.labels), batch.images, {Norm::L2, 0.5});
}

TEST_CASE("targeted CW reaches the requested class with the minimal norm") {
  // Moving towards t is the same problem as away from y: minimal L2 norm 0.8/√8.
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  const Tensor targets = Tensor::from_data(std::vector<std::int64_t>{2, 3, 0, 1}, {4});
  CarliniWagner cw({.targeted = true});
  CHECK(cw.targeted());
  const Tensor x_adv = cw(*model, batch.images, targets);
  CHECK(accuracy(*model, x_adv, targets) == 1.0);
  const double minimal = 0.8 / std::sqrt(8.0);
  for (double size : per_sample_norm(x_adv - batch.images, Norm::L2).to_vector()) {
    CHECK(size >= minimal * (1 - 1e-4));
    CHECK(size <= minimal * 1.01);
  }
}

TEST_CASE("CW's confidence κ pushes the result past the boundary by a margin of κ") {
  std::vector<float> a;
  auto model = hyperplane_model(a);
  CarliniWagner cw({.kappa = 0.3});
  const Tensor x_adv = cw(*model, grey_image(), class_zero());
  NoGradGuard no_grad;
  const std::vector<double> z = (*model)(x_adv).to_vector();
  CHECK(z[1] - z[0] >= 0.3);
  CHECK(z[1] - z[0] <= 0.32);
}

TEST_CASE("DeepFool and CW are deterministic and compute no parameter gradient") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  model->train();
  DeepFool deepfool;
  CarliniWagner cw({.steps = 20, .binary_search_steps = 3});
  CHECK(deepfool(*model, batch.images, batch.labels).to_vector() ==
        deepfool(*model, batch.images, batch.labels).to_vector());
  CHECK(cw(*model, batch.images, batch.labels).to_vector() == cw(*model, batch.images, batch.labels).to_vector());
  CHECK(model->is_training());
  CHECK_FALSE(model->weight().grad().defined());
}

TEST_CASE("DeepFool and CW refuse bad options with a ValueError naming the option") {
  CHECK(contains(error_message<ValueError>([] { DeepFool({.steps = 0}); }), "steps"));
  CHECK(contains(error_message<ValueError>([] { DeepFool({.overshoot = -0.1}); }), "overshoot"));
  CHECK(contains(error_message<ValueError>([] { DeepFool({.candidates = 1}); }), "candidates"));
  CHECK(contains(error_message<ValueError>([] { DeepFool({.budget = ThreatModel{Norm::L2, -1.0}}); }), "eps"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.steps = 0}); }), "steps"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.binary_search_steps = 0}); }),
                 "binary_search_steps"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.initial_const = -1e-2}); }), "initial_const"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.kappa = -1}); }), "kappa"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.lr = 0}); }), "lr"));
  CHECK(contains(error_message<ValueError>([] { CarliniWagner({.eps = -1.0}); }), "eps"));
  CHECK(error_message<ValueError>([] { DeepFool(); CarliniWagner(); }).empty());
}

}  // namespace attrax::adversarial
