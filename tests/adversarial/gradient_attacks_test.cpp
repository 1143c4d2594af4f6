// FGSM, BIM, PGD and MI-FGSM: the ε-ball and [0, 1], analytic answers on linear models, restarts,
// early stop, targeted mode, determinism and input checks.
#include "adversarial/attacks/fgsm.hpp"
#include "adversarial/attacks/mifgsm.hpp"
#include "adversarial/attacks/pgd.hpp"
#include "helpers.hpp"

namespace attrax::adversarial {
using namespace testing;

namespace {

// Two classes, logits z = W x with w_0 = a, w_1 = −a for a fixed pattern a ∈ {−1, +1}^16 scaled.
std::unique_ptr<LinearModel> two_class_model(std::vector<float>& pattern) {
  pattern.resize(16);
  for (int i = 0; i < 16; ++i) pattern[std::size_t(i)] = (i * 7 % 5) < 2 ? 1.0f : -1.0f;
  std::vector<float> w(32);
  for (int i = 0; i < 16; ++i) {
    w[std::size_t(i)] = 0.5f * pattern[std::size_t(i)];
    w[std::size_t(16 + i)] = -0.5f * pattern[std::size_t(i)];
  }
  return std::make_unique<LinearModel>(Tensor::from_data(w, {2, 16}),
                                       Tensor::from_data(std::vector<float>{0, 0}, {2}));
}

}  // namespace

TEST_CASE("FGSM on a linear model moves every pixel by ε against the true class's weights") {
  // For z = W x, ∇ₓ CE(z, y) = Σ_k (p_k − 1[k=y]) w_k = (1 − p_y)(w_other − w_y): its sign is
  // sign(w_other − w_y) = −sign(a) for y = 0, whatever the probabilities.
  std::vector<float> a;
  auto model = two_class_model(a);
  const Tensor x = Tensor::full({1, 1, 4, 4}, 0.5);
  const Tensor y = Tensor::from_data(std::vector<std::int64_t>{0}, {1});
  Fgsm fgsm({.threat = {Norm::Linf, 0.1}});
  const Tensor x_adv = fgsm(*model, x, y);
  for (int i = 0; i < 16; ++i)
    CHECK(x_adv.data<float>()[i] == doctest::Approx(0.5 - 0.1 * a[std::size_t(i)]).epsilon(1e-6));
}

TEST_CASE("FGSM L2 moves along the normalised gradient by exactly ε") {
  std::vector<float> a;
  auto model = two_class_model(a);
  const Tensor x = Tensor::full({1, 1, 4, 4}, 0.5);
  const Tensor y = Tensor::from_data(std::vector<std::int64_t>{0}, {1});
  Fgsm fgsm({.threat = {Norm::L2, 0.4}});
  const Tensor x_adv = fgsm(*model, x, y);
  // the gradient direction is −a / ‖a‖ = −a / 4
  for (int i = 0; i < 16; ++i)
    CHECK(x_adv.data<float>()[i] == doctest::Approx(0.5 - 0.4 * a[std::size_t(i)] / 4.0).epsilon(1e-5));
  CHECK(max_perturbation(x_adv, x, Norm::L2) == doctest::Approx(0.4).epsilon(1e-5));
}

TEST_CASE("FGSM, BIM, PGD and MI-FGSM stay in the ball and [0, 1] and fool the quadrant model") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  REQUIRE(accuracy(*model, batch.images, batch.labels) == 1.0);
  for (Norm norm : {Norm::Linf, Norm::L2}) {
    const ThreatModel threat{norm, norm == Norm::Linf ? 0.15 : 0.6};
    std::vector<std::unique_ptr<Attack>> attacks;
    attacks.push_back(std::make_unique<Fgsm>(FgsmOptions{.threat = threat}));
    attacks.push_back(std::make_unique<Pgd>(make_bim({.threat = threat, .steps = 10})));
    attacks.push_back(std::make_unique<Pgd>(PgdOptions{.threat = threat, .steps = 10, .restarts = 2}));
    attacks.push_back(std::make_unique<MiFgsm>(MiFgsmOptions{.threat = threat, .steps = 10}));
    for (auto& attack : attacks) {
      CAPTURE(attack->name());
      CAPTURE(norm_name(norm));
      const Tensor x_adv = (*attack)(*model, batch.images, batch.labels);
      check_in_ball(x_adv, batch.images, threat);
      CHECK(accuracy(*model, x_adv, batch.labels) == 0.0);
    }
  }
}

TEST_CASE("PGD cannot fool the quadrant model when ε is too small, and stays in the ball") {
  // Quadrant gap 0.2 in brightness: L∞ ε = 0.05 moves each mean by at most 0.05 per side, 0.1 < 0.2.
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  const ThreatModel threat{Norm::Linf, 0.05};
  Pgd pgd({.threat = threat, .steps = 20, .restarts = 3});
  const Tensor x_adv = pgd(*model, batch.images, batch.labels);
  check_in_ball(x_adv, batch.images, threat);
  CHECK(accuracy(*model, x_adv, batch.labels) == 1.0);
}

TEST_CASE("targeted PGD reaches the requested class") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  std::vector<std::int64_t> targets(8);
  for (std::size_t i = 0; i < 8; ++i) targets[i] = std::int64_t((i + 2) % 4);
  const Tensor t = Tensor::from_data(targets, {8});
  Pgd pgd({.threat = {Norm::Linf, 0.15}, .steps = 20, .targeted = true});
  const Tensor x_adv = pgd(*model, batch.images, t);
  CHECK(accuracy(*model, x_adv, t) == 1.0);
}

TEST_CASE("early stop freezes a sample at its first adversarial point") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  const ThreatModel threat{Norm::Linf, 0.3};
  Pgd stopping({.threat = threat, .steps = 20, .alpha = 0.02, .random_start = false, .early_stop = true});
  Pgd running({.threat = threat, .steps = 20, .alpha = 0.02, .random_start = false});
  const Tensor early = stopping(*model, batch.images, batch.labels);
  const Tensor full = running(*model, batch.images, batch.labels);
  CHECK(accuracy(*model, early, batch.labels) == 0.0);
  // The frozen samples moved less than the ones that kept climbing the loss.
  CHECK(max_perturbation(early, batch.images, Norm::Linf) < max_perturbation(full, batch.images, Norm::Linf));
}

TEST_CASE("attacks are deterministic from their seed and change with it") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  const PgdOptions options{.threat = {Norm::Linf, 0.05}, .steps = 2, .alpha = 0.001, .seed = 7};
  Pgd first(options), second(options);
  PgdOptions other_options = options;
  other_options.seed = 8;
  Pgd other(other_options);
  const Tensor a = first(*model, batch.images, batch.labels);
  const Tensor b = second(*model, batch.images, batch.labels);
  const Tensor c = other(*model, batch.images, batch.labels);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
}

TEST_CASE("an attack restores the model's mode and computes no parameter gradient") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  model->train();
  Pgd pgd({.threat = {Norm::Linf, 0.1}, .steps = 2});
  pgd(*model, batch.images, batch.labels);
  CHECK(model->is_training());
  CHECK_FALSE(model->weight().grad().defined());
}

TEST_CASE("step schedules: constant, step halves at K/2 and 3K/4, cosine decays from α") {
  CHECK(step_size_at(StepSchedule::Constant, 0.1, 7, 10) == 0.1);
  CHECK(step_size_at(StepSchedule::Step, 0.1, 4, 10) == 0.1);
  CHECK(step_size_at(StepSchedule::Step, 0.1, 5, 10) == 0.05);
  CHECK(step_size_at(StepSchedule::Step, 0.1, 8, 10) == 0.025);
  CHECK(step_size_at(StepSchedule::Cosine, 0.1, 0, 10) == doctest::Approx(0.1));
  CHECK(step_size_at(StepSchedule::Cosine, 0.1, 5, 10) == doctest::Approx(0.05));
  CHECK(contains(error_message<ValueError>([] { parse_step_schedule("linear"); }), "linear"));
}

TEST_CASE("bad inputs and options are refused with a message naming them") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  Pgd pgd({.threat = {Norm::Linf, 0.1}});
  CHECK(contains(error_message<ValueError>([&] { pgd(*model, batch.images * 2.0, batch.labels); }),
                 "[0, 1]"));
  CHECK(contains(error_message<ShapeError>([&] {
                   pgd(*model, batch.images, Tensor::from_data(std::vector<std::int64_t>{0}, {1}));
                 }),
                 "labels"));
  CHECK(contains(error_message<ShapeError>([&] { pgd(*model, batch.images.reshape({4, 16}), batch.labels); }),
                 "[N, C, H, W]"));
  CHECK(contains(error_message<ValueError>([] { Pgd({.threat = {Norm::Linf, 0.1}, .steps = 0}); }), "steps"));
  CHECK(contains(error_message<ValueError>([] { Pgd({.threat = {Norm::Linf, -1.0}}); }), "eps"));
  CHECK(contains(error_message<ValueError>([] { parse_norm("l3"); }), "l3"));
}

}  // namespace attrax::adversarial
