// APGD (CE, DLR, targeted), Square and AutoAttack: the ε-ball and [0, 1], fooling the quadrant model
// at a sufficient ε and not at a too-small one; APGD's checkpoint schedule, first steps (η⁽⁰⁾ = 2ε,
// momentum 0.75), step halving with restart from the best point, targets and restarts; Square's
// initial points, p schedule and gradient-free queries of unfooled samples only; determinism;
// option checks; and AutoAttack being at least as strong as its components.
#include <algorithm>
#include <set>

#include "adversarial/attacks/apgd.hpp"
#include "adversarial/attacks/autoattack.hpp"
#include "adversarial/attacks/square.hpp"
#include "helpers.hpp"

namespace attrax::adversarial {
using namespace testing;

namespace {

// Forwards to a model and records, per call, the input, its batch size and whether gradients were
// recorded.
class RecordingModel : public nn::Module {
 public:
  explicit RecordingModel(nn::Module& inner) : inner_(inner) {}
  Tensor forward(const Tensor& x) override {
    inputs.push_back(x.detach().clone());
    batch_sizes.push_back(x.size(0));
    grad_enabled.push_back(GradMode::enabled());
    return inner_(x);
  }
  std::string describe() const override { return "RecordingModel"; }

  std::vector<Tensor> inputs;
  std::vector<std::int64_t> batch_sizes;
  std::vector<bool> grad_enabled;

 private:
  nn::Module& inner_;
};

// A model whose output never requires grad: its forward pass runs under NoGradGuard.
class ScoresOnlyModel : public nn::Module {
 public:
  explicit ScoresOnlyModel(nn::Module& inner) : inner_(inner) {}
  Tensor forward(const Tensor& x) override {
    NoGradGuard no_grad;
    return inner_(x).detach();
  }
  std::string describe() const override { return "ScoresOnlyModel"; }

 private:
  nn::Module& inner_;
};

// Two classes whose scores peak where the image's mean brightness is c: z = (0, −a (mean(x) − c)²).
// For label 0 the cross-entropy log(1 + e^{z₁}) is largest at mean(x) = c, where the classes tie
// and the prediction stays 0, so no attack fools it.
class BumpModel : public nn::Module {
 public:
  BumpModel(double a, double c) : a_(a), c_(c) {}
  Tensor forward(const Tensor& x) override {
    const Tensor m = mean(x, {1, 2, 3});
    return stack({m * 0.0, -a_ * (m - c_) * (m - c_)}, 1);
  }
  std::string describe() const override { return "BumpModel"; }

 private:
  double a_, c_;
};

// K classes on flattened [N, 3, 8, 8] images with weights ~ 0.1 · N(0, 1), and random images
// labelled with the model's own predictions (clean accuracy 100%).
struct RandomProblem {
  std::unique_ptr<LinearModel> model;
  LabelledBatch batch;
};
RandomProblem random_problem(std::int64_t classes, std::int64_t n, std::uint64_t seed) {
  Generator gen(seed, 99);
  NoGradGuard no_grad;
  RandomProblem p{
      std::make_unique<LinearModel>(Tensor::randn({classes, 192}, gen) * 0.1, Tensor::zeros({classes})),
      {Tensor::rand({n, 3, 8, 8}, gen), Tensor()}};
  p.batch.labels = Tensor::from_data(predictions((*p.model)(p.batch.images)), {n});
  return p;
}

std::vector<std::unique_ptr<Attack>> apgd_and_square(const ThreatModel& threat) {
  std::vector<std::unique_ptr<Attack>> attacks;
  attacks.push_back(std::make_unique<Apgd>(ApgdOptions{.threat = threat, .steps = 20}));
  attacks.push_back(
      std::make_unique<Apgd>(ApgdOptions{.threat = threat, .steps = 20, .restarts = 2, .loss = "dlr"}));
  attacks.push_back(std::make_unique<Apgd>(ApgdOptions{.threat = threat, .steps = 20, .targeted = true}));
  attacks.push_back(std::make_unique<Square>(SquareOptions{.threat = threat, .queries = 1000}));
  attacks.push_back(
      std::make_unique<AutoAttack>(AutoAttackOptions{.threat = threat, .steps = 20, .queries = 1000}));
  return attacks;
}

}  // namespace

TEST_CASE("APGD checkpoints for 100 iterations are the paper's 0, 22, 41, 57, 70, 80, 87, 93, 99") {
  // p = 0, .22, .41 (+.19), .57 (+.16), .70 (+.13), .80 (+.10), .87 (+.07), .93 (+.06), .99 (+.06)
  CHECK(apgd_checkpoints(100) == std::vector<std::int64_t>{0, 22, 41, 57, 70, 80, 87, 93, 99});
  CHECK(apgd_checkpoints(1000) == std::vector<std::int64_t>{0, 220, 410, 570, 700, 800, 870, 930, 990});
  // ⌈p_j · 10⌉ = 0, 3, 5, 6, 7, 8, 9, 10, 10: the duplicate goes
  CHECK(apgd_checkpoints(10) == std::vector<std::int64_t>{0, 3, 5, 6, 7, 8, 9, 10});
  CHECK(apgd_checkpoints(1) == std::vector<std::int64_t>{0, 1});
  CHECK(contains(error_message<ValueError>([] { apgd_checkpoints(0); }), "iterations"));
}

TEST_CASE("APGD's first steps: η⁽⁰⁾ = 2ε without momentum, then momentum α = 0.75") {
  // z = W x with w₁ = −w₀: for label 0, ∇ₓ CE = p₁ (w₁ − w₀), so d(∇) = u = (w₁ − w₀)/‖w₁ − w₀‖ in L2.
  std::vector<float> w(32);
  for (int i = 0; i < 16; ++i) {
    w[std::size_t(i)] = (i * 7 % 5) < 2 ? 0.5f : -0.5f;
    w[std::size_t(16 + i)] = -w[std::size_t(i)];
  }
  // the bias makes class 0 the prediction at x = 0.5 and within the ball
  LinearModel model(Tensor::from_data(w, {2, 16}), Tensor::from_data(std::vector<float>{2, 0}, {2}));
  RecordingModel recording(model);
  const Tensor x = Tensor::full({1, 1, 4, 4}, 0.5);
  const Tensor y = Tensor::from_data(std::vector<std::int64_t>{0}, {1});
  const ThreatModel threat{Norm::L2, 0.1};
  Apgd apgd({.threat = threat, .steps = 2});
  apgd(recording, x, y);
  // calls: the clean batch, then x⁽⁰⁾ (random start), x⁽¹⁾, x⁽²⁾
  REQUIRE(recording.inputs.size() == 4);
  NoGradGuard no_grad;
  const Tensor w0 = slice(model.weight(), 0, 0, 1), w1 = slice(model.weight(), 0, 1, 2);
  const Tensor u = ((w1 - w0) / sqrt(sum((w1 - w0) * (w1 - w0)))).reshape({1, 1, 4, 4});
  const Tensor &x0 = recording.inputs[1], &x1 = recording.inputs[2], &x2 = recording.inputs[3];
  const Tensor expected_x1 = project(x0 + 0.2 * u, x, threat);
  const Tensor z2 = project(x1 + 0.2 * u, x, threat);
  const Tensor expected_x2 = project(x1 + 0.75 * (z2 - x1) + 0.25 * (x1 - x0), x, threat);
  CHECK(max(abs(x1 - expected_x1)).item() < 1e-6);
  CHECK(max(abs(x2 - expected_x2)).item() < 1e-6);
  CHECK(max(abs(x2 - z2)).item() > 1e-3);  // the momentum term matters
}

TEST_CASE("APGD halves its step at the checkpoints and settles on an interior maximum") {
  // With the initial step 2ε the iterates jump between the faces of the ball around c = x + 0.3ε;
  // only the halving brings the mean brightness, and the best point, onto c.
  const double eps = 0.1, c = 0.5 + 0.3 * eps;
  BumpModel model(10.0, c);
  const Tensor x = Tensor::full({2, 1, 4, 4}, 0.5);
  const Tensor y = Tensor::from_data(std::vector<std::int64_t>{0, 0}, {2});
  Apgd apgd({.threat = {Norm::Linf, eps}, .steps = 100});
  const Tensor x_adv = apgd(model, x, y);
  NoGradGuard no_grad;
  const std::vector<double> means = mean(x_adv, {1, 2, 3}).to_vector();
  for (double m : means) CHECK(std::abs(m - c) < 0.05 * eps);
}

TEST_CASE("APGD restarts from its best point with half the step at the first checkpoint, w₁ = 22") {
  const double eps = 0.1, c = 0.5 + 0.3 * eps;
  BumpModel model(10.0, c);
  RecordingModel recording(model);
  const Tensor x = Tensor::full({1, 1, 4, 4}, 0.5);
  const Tensor y = Tensor::from_data(std::vector<std::int64_t>{0}, {1});
  const ThreatModel threat{Norm::Linf, eps};
  Apgd apgd({.threat = threat, .steps = 100});
  apgd(recording, x, y);
  REQUIRE(recording.inputs.size() == 102);  // the clean batch, then x⁽⁰⁾ … x⁽¹⁰⁰⁾
  const auto iterate = [&](std::size_t k) { return recording.inputs[k + 1]; };
  NoGradGuard no_grad;
  const auto loss = [&](std::size_t k) { return cross_entropy_per_sample(model(iterate(k)), y).item(); };
  // The halving conditions at w₁ = 22, and the best point x_max among x⁽⁰⁾ … x⁽²²⁾.
  int successes = 0;
  std::size_t best = 0;
  for (std::size_t k = 0; k < 22; ++k) {
    successes += loss(k + 1) > loss(k);
    if (loss(k + 1) > loss(best)) best = k + 1;
  }
  REQUIRE((successes < 0.75 * 22 || best == 0));
  // x⁽²³⁾ continues from x_max with η = ε: ∇f points to c, so d = sign(c − mean(x_max)) on every pixel.
  const Tensor x_max = iterate(best);
  const double d = c > mean(x_max).item() ? 1.0 : -1.0;
  const Tensor z = project(x_max + eps * d, x, threat);
  const Tensor expected = project(x_max + 0.75 * (z - x_max) + 0.25 * (x_max - iterate(21)), x, threat);
  CHECK(max(abs(iterate(23) - expected)).item() < 1e-6);
}

TEST_CASE("APGD-T's targets rank the classes other than the label by clean logit") {
  const Tensor logits = Tensor::from_data(std::vector<float>{3, 1, 2, 0, 0, 5, 1, 1}, {2, 4});
  const Tensor labels = Tensor::from_data(std::vector<std::int64_t>{0, 2}, {2});
  CHECK(runner_up_classes(logits, labels, 0).to_vector() == std::vector<double>{2, 1});
  CHECK(runner_up_classes(logits, labels, 1).to_vector() == std::vector<double>{1, 3});
  CHECK(runner_up_classes(logits, labels, 2).to_vector() == std::vector<double>{3, 0});
  CHECK(contains(error_message<ValueError>([&] { runner_up_classes(logits, labels, 3); }), "rank"));
}

TEST_CASE("APGD-T runs one targeted attack per runner-up class, capped at K − 1") {
  // At ε = 0.05 the quadrant model is robust, so every target class gets its run of 1 + 5 passes.
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  RecordingModel recording(*model);
  Apgd apgd_t({.threat = {Norm::Linf, 0.05}, .steps = 5, .targeted = true, .target_classes = 9});
  apgd_t(recording, batch.images, batch.labels);
  std::vector<std::int64_t> expected{8};
  expected.insert(expected.end(), 3 * 6, 8);
  CHECK(recording.batch_sizes == expected);
}

TEST_CASE("APGD-CE, APGD-DLR, APGD-T, Square and AutoAttack stay in the ball and fool the quadrant model") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  REQUIRE(accuracy(*model, batch.images, batch.labels) == 1.0);
  for (Norm norm : {Norm::Linf, Norm::L2}) {
    const ThreatModel threat{norm, norm == Norm::Linf ? 0.15 : 0.6};
    for (auto& attack : apgd_and_square(threat)) {
      CAPTURE(attack->name());
      CAPTURE(norm_name(norm));
      const Tensor x_adv = (*attack)(*model, batch.images, batch.labels);
      check_in_ball(x_adv, batch.images, threat);
      CHECK(accuracy(*model, x_adv, batch.labels) == 0.0);
    }
  }
}

TEST_CASE("APGD, Square and AutoAttack cannot fool the quadrant model at L∞ ε = 0.05") {
  // The brightness gap between quadrants is 0.2; ε = 0.05 closes at most 0.1 of it.
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  for (Norm norm : {Norm::Linf, Norm::L2}) {
    // L2 ε = 0.2 spread over the 8 pixels of two quadrants moves their sums by at most 0.2·√8 < 0.8.
    const ThreatModel threat{norm, norm == Norm::Linf ? 0.05 : 0.2};
    for (auto& attack : apgd_and_square(threat)) {
      CAPTURE(attack->name());
      CAPTURE(norm_name(norm));
      const Tensor x_adv = (*attack)(*model, batch.images, batch.labels);
      check_in_ball(x_adv, batch.images, threat);
      CHECK(accuracy(*model, x_adv, batch.labels) == 1.0);
    }
  }
}

TEST_CASE("APGD-CE on a robust sample returns its point of highest loss, the vertex of the L∞ ball") {
  // ∇ₓ CE = Σ_k (p_k − 1[k=y]) w_k is negative on the true quadrant and positive elsewhere everywhere
  // in the ball, so the loss is largest at x − ε on the true quadrant and x + ε on the others.
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  const double eps = 0.05;
  Apgd apgd({.threat = {Norm::Linf, eps}, .steps = 30});
  const Tensor x_adv = apgd(*model, batch.images, batch.labels);
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t r = 0; r < 4; ++r)
      for (std::int64_t c = 0; c < 4; ++c) {
        const bool true_quadrant = 2 * (r / 2) + c / 2 == i;
        CHECK(x_adv.at({i, 0, r, c}) ==
              doctest::Approx(batch.images.at({i, 0, r, c}) + (true_quadrant ? -eps : eps)).epsilon(1e-6));
      }
}

TEST_CASE("APGD-T attacks towards the runner-up classes in order of their clean logits") {
  // True quadrant 0.6, the next one (y + 1 mod 4) 0.5, the others 0.4: the runner-up is y + 1.
  auto model = quadrant_model();
  LabelledBatch batch = quadrant_batch(4);
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t r = 0; r < 4; ++r)
      for (std::int64_t c = 0; c < 4; ++c)
        if (2 * (r / 2) + c / 2 == (i + 1) % 4) batch.images.set({i, 0, r, c}, 0.5);
  Apgd first_target({.threat = {Norm::Linf, 0.1}, .steps = 20, .targeted = true, .target_classes = 1});
  const Tensor x_adv = first_target(*model, batch.images, batch.labels);
  NoGradGuard no_grad;
  const std::vector<std::int64_t> predicted = predictions((*model)(x_adv));
  for (std::int64_t i = 0; i < 4; ++i) CHECK(predicted[std::size_t(i)] == (i + 1) % 4);
  CHECK(first_target.name() == "apgd-t");
  CHECK_FALSE(first_target.targeted());
}

TEST_CASE("APGD restarts run only on the samples the previous runs did not fool") {
  RandomProblem problem = random_problem(10, 32, 5);
  const LabelledBatch& batch = problem.batch;
  const ThreatModel threat{Norm::Linf, 0.012};
  Apgd once({.threat = threat, .steps = 10, .seed = 3});
  const double robust_after_one =
      accuracy(*problem.model, once(*problem.model, batch.images, batch.labels), batch.labels);
  REQUIRE(robust_after_one > 0.0);
  REQUIRE(robust_after_one < 1.0);
  RecordingModel recording(*problem.model);
  Apgd twice({.threat = threat, .steps = 10, .restarts = 2, .seed = 3});
  const Tensor x_adv = twice(recording, batch.images, batch.labels);
  // the clean pass, then 11 passes (start + 10 steps) per run: all 32, then the survivors of run 1
  std::vector<std::int64_t> expected{32};
  expected.insert(expected.end(), 11, 32);
  expected.insert(expected.end(), 11, std::int64_t(std::lround(robust_after_one * 32)));
  CHECK(recording.batch_sizes == expected);
  CHECK(accuracy(*problem.model, x_adv, batch.labels) <= robust_after_one);
}

TEST_CASE("APGD-DLR needs 3 classes and APGD-T 4, with an error naming the option") {
  Generator gen(3, 5);
  const Tensor x = Tensor::rand({2, 1, 4, 4}, gen);
  const Tensor y = Tensor::from_data(std::vector<std::int64_t>{0, 1}, {2});
  LinearModel two(Tensor::randn({2, 16}, gen), Tensor::zeros({2}));
  LinearModel three(Tensor::randn({3, 16}, gen), Tensor::zeros({3}));
  Apgd dlr({.threat = {Norm::Linf, 0.1}, .steps = 2, .loss = "dlr"});
  Apgd apgd_t({.threat = {Norm::Linf, 0.1}, .steps = 2, .targeted = true});
  CHECK(contains(error_message<ValueError>([&] { dlr(two, x, y); }), "loss"));
  CHECK(error_message<ValueError>([&] { dlr(three, x, y); }).empty());
  CHECK(contains(error_message<ValueError>([&] { apgd_t(three, x, y); }), "targeted"));
}

TEST_CASE("Square computes no gradient and works on a model whose scores do not require grad") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  const ThreatModel threat{Norm::Linf, 0.15};
  ScoresOnlyModel scores_only(*model);
  RecordingModel recording(scores_only);
  Square square({.threat = threat, .queries = 1000});
  const Tensor x_adv = square(recording, batch.images, batch.labels);
  CHECK(accuracy(*model, x_adv, batch.labels) == 0.0);
  CHECK_FALSE(model->weight().grad().defined());
  CHECK(std::set<bool>(recording.grad_enabled.begin(), recording.grad_enabled.end()) ==
        std::set<bool>{false});
  // Fooled samples leave the queried batch, and the search stops once all are fooled.
  CHECK(std::is_sorted(recording.batch_sizes.rbegin(), recording.batch_sizes.rend()));
  CHECK(recording.batch_sizes.back() < 8);
  CHECK(recording.batch_sizes.size() < 1000);
  // A gradient attack cannot run on the same model.
  Apgd apgd({.threat = threat, .steps = 2});
  CHECK_THROWS(apgd(scores_only, batch.images, batch.labels));
}

TEST_CASE("Square queries only the samples not yet fooled, within its query budget") {
  // Half of the labels are wrong: those samples are fooled from the start and never queried. At
  // ε = 0.05 the others stay robust and use every query: the initial point and 49 candidates.
  auto model = quadrant_model();
  LabelledBatch batch = quadrant_batch(8);
  for (std::int64_t i = 0; i < 8; i += 2) batch.labels.set({i}, double((i + 1) % 4));
  RecordingModel recording(*model);
  Square square({.threat = {Norm::Linf, 0.05}, .queries = 50});
  const Tensor x_adv = square(recording, batch.images, batch.labels);
  std::vector<std::int64_t> expected{8};
  expected.insert(expected.end(), 50, 4);
  CHECK(recording.batch_sizes == expected);
  // The fooled samples are returned clean.
  for (std::int64_t i = 0; i < 8; i += 2)
    for (std::int64_t p = 0; p < 16; ++p)
      CHECK(x_adv.at({i, 0, p / 4, p % 4}) == batch.images.at({i, 0, p / 4, p % 4}));
}

TEST_CASE("Square L∞ starts from vertical stripes and keeps pixels at ±ε; Square L2 starts on the sphere") {
  // With one query the result is the initial point; at these ε nothing is clipped to [0, 1].
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  Square linf({.threat = {Norm::Linf, 0.05}, .queries = 1});
  const Tensor stripes = linf(*model, batch.images, batch.labels);
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t c = 0; c < 4; ++c) {
      const double top = stripes.at({i, 0, 0, c}) - batch.images.at({i, 0, 0, c});
      CHECK(std::abs(top) == doctest::Approx(0.05));
      for (std::int64_t r = 1; r < 4; ++r)
        CHECK(stripes.at({i, 0, r, c}) - batch.images.at({i, 0, r, c}) == doctest::Approx(top));
    }
  // Updates of ±2ε clipped to the ball keep every pixel on a vertex, |δ| = ε.
  Square searching({.threat = {Norm::Linf, 0.05}, .queries = 200});
  const Tensor searched = searching(*model, batch.images, batch.labels);
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t p = 0; p < 16; ++p)
      CHECK(std::abs(searched.at({i, 0, p / 4, p % 4}) - batch.images.at({i, 0, p / 4, p % 4})) ==
            doctest::Approx(0.05));
  Square l2({.threat = {Norm::L2, 0.2}, .queries = 1});
  NoGradGuard no_grad;
  const std::vector<double> norms =
      per_sample_norm(l2(*model, batch.images, batch.labels) - batch.images, Norm::L2).to_vector();
  for (double norm : norms) CHECK(norm == doctest::Approx(0.2).epsilon(1e-5));
}

TEST_CASE("targeted Square reaches the requested class") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  std::vector<std::int64_t> targets(8);
  for (std::size_t i = 0; i < 8; ++i) targets[i] = std::int64_t((i + 2) % 4);
  const Tensor t = Tensor::from_data(targets, {8});
  Square square({.threat = {Norm::Linf, 0.15}, .queries = 1000, .targeted = true});
  CHECK(square.targeted());
  const Tensor x_adv = square(*model, batch.images, t);
  CHECK(accuracy(*model, x_adv, t) == 1.0);
}

TEST_CASE("Square's p schedule halves p_init at the paper's iterations, rescaled to the budget") {
  CHECK(square_fraction(0.8, 0, 10000) == 0.8);
  CHECK(square_fraction(0.8, 10, 10000) == 0.8);
  CHECK(square_fraction(0.8, 11, 10000) == 0.4);
  CHECK(square_fraction(0.8, 51, 10000) == 0.2);
  CHECK(square_fraction(0.8, 201, 10000) == 0.1);
  CHECK(square_fraction(0.8, 1001, 10000) == doctest::Approx(0.8 / 32));
  CHECK(square_fraction(0.8, 9999, 10000) == doctest::Approx(0.8 / 512));
  // with 1000 queries, update 2 is iteration 20 of 10000 and update 101 is 1010
  CHECK(square_fraction(0.8, 2, 1000) == 0.4);
  CHECK(square_fraction(0.8, 101, 1000) == doctest::Approx(0.8 / 32));
}

TEST_CASE("APGD, Square and AutoAttack are deterministic from their seed and change with it") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  const auto outputs = [&](auto make) {
    auto a = make(7), b = make(7), c = make(8);
    return std::array<std::vector<double>, 3>{a(*model, batch.images, batch.labels).to_vector(),
                                              b(*model, batch.images, batch.labels).to_vector(),
                                              c(*model, batch.images, batch.labels).to_vector()};
  };
  const ThreatModel l2{Norm::L2, 0.1};
  const auto apgd =
      outputs([&](std::uint64_t seed) { return Apgd({.threat = l2, .steps = 3, .seed = seed}); });
  const auto square = outputs([](std::uint64_t seed) {
    return Square({.threat = {Norm::Linf, 0.05}, .queries = 20, .seed = seed});
  });
  const auto autoattack = outputs([&](std::uint64_t seed) {
    return AutoAttack({.threat = l2, .steps = 3, .queries = 20, .seed = seed});
  });
  for (const auto& run : {apgd, square, autoattack}) {
    CHECK(run[0] == run[1]);
    CHECK(run[0] != run[2]);
  }
}

TEST_CASE("APGD, Square and AutoAttack refuse bad options with a message naming them") {
  const ThreatModel threat{Norm::Linf, 0.1};
  CHECK(contains(error_message<ValueError>([&] { Apgd({.threat = threat, .steps = 0}); }), "steps"));
  CHECK(contains(error_message<ValueError>([&] { Apgd({.threat = threat, .restarts = 0}); }), "restarts"));
  CHECK(contains(error_message<ValueError>([&] { Apgd({.threat = threat, .loss = "hinge"}); }), "loss"));
  CHECK(contains(error_message<ValueError>([&] { Apgd({.threat = threat, .target_classes = 0}); }),
                 "target_classes"));
  CHECK(contains(error_message<ValueError>([&] { Apgd({.threat = threat, .rho = 1.5}); }), "rho"));
  CHECK(contains(error_message<ValueError>([] { Apgd({.threat = {Norm::Linf, -1.0}}); }), "eps"));
  CHECK(contains(error_message<ValueError>([&] { Square({.threat = threat, .queries = 0}); }), "queries"));
  CHECK(contains(error_message<ValueError>([&] { Square({.threat = threat, .p_init = 0}); }), "p_init"));
  CHECK(contains(error_message<ValueError>([&] { Square({.threat = threat, .restarts = 0}); }), "restarts"));
  CHECK(contains(error_message<ValueError>([] { Square({.threat = {Norm::L2, -0.5}}); }), "eps"));
  CHECK(contains(error_message<ValueError>([&] { AutoAttack({.threat = threat, .steps = 0}); }), "steps"));
  CHECK(
      contains(error_message<ValueError>([&] { AutoAttack({.threat = threat, .queries = 0}); }), "queries"));
}

TEST_CASE("AutoAttack is at least as strong as each of its components and reports who broke each sample") {
  RandomProblem problem = random_problem(10, 32, 11);
  nn::Module& model = *problem.model;
  const LabelledBatch& batch = problem.batch;
  for (const ThreatModel threat : {ThreatModel{Norm::Linf, 0.012}, ThreatModel{Norm::L2, 0.3}}) {
    CAPTURE(norm_name(threat.norm));
    Apgd ce({.threat = threat, .steps = 20});
    Apgd apgd_t({.threat = threat, .steps = 20, .targeted = true});
    Square square({.threat = threat, .queries = 300});
    AutoAttack autoattack({.threat = threat, .steps = 20, .queries = 300});
    const Tensor x_adv = autoattack(model, batch.images, batch.labels);
    check_in_ball(x_adv, batch.images, threat);
    const double robust = accuracy(model, x_adv, batch.labels);
    CHECK(robust > 0.0);
    CHECK(robust < 1.0);
    for (Attack* component : std::vector<Attack*>{&ce, &apgd_t, &square}) {
      CAPTURE(component->name());
      const double alone = accuracy(model, (*component)(model, batch.images, batch.labels), batch.labels);
      CHECK(robust <= alone);
      // On this linear model the margin-based APGD-T breaks samples that APGD-CE cannot.
      if (component == &ce) CHECK(robust < alone);
    }
    // broken_by: "" exactly for the samples still classified correctly; counts add up.
    NoGradGuard no_grad;
    const std::vector<std::int64_t> predicted = predictions(model(x_adv));
    std::int64_t broken = 0;
    for (std::size_t i = 0; i < predicted.size(); ++i) {
      const std::string& by = autoattack.broken_by()[i];
      CHECK(by.empty() == (predicted[i] == batch.labels.data<std::int64_t>()[i]));
      CHECK((by.empty() || by == "apgd-ce" || by == "apgd-t" || by == "square"));
      broken += !by.empty();
    }
    std::int64_t counted = 0;
    for (const auto& [name, count] : autoattack.broken_counts()) counted += count;
    CHECK(counted == broken);
  }
}

TEST_CASE("AutoAttack marks clean mistakes and returns them unchanged") {
  auto model = quadrant_model();
  LabelledBatch batch = quadrant_batch(4);
  batch.labels.set({1}, 3.0);
  AutoAttack autoattack({.threat = {Norm::Linf, 0.05}, .steps = 5, .queries = 10});
  const Tensor x_adv = autoattack(*model, batch.images, batch.labels);
  CHECK(autoattack.broken_by() == std::vector<std::string>{"", "clean", "", ""});
  for (std::int64_t p = 0; p < 16; ++p)
    CHECK(x_adv.at({1, 0, p / 4, p % 4}) == batch.images.at({1, 0, p / 4, p % 4}));
  CHECK(autoattack.broken_counts().front() == std::pair<std::string, std::int64_t>{"clean", 1});
}

}  // namespace attrax::adversarial
