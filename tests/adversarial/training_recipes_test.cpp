// Adversarial training recipes: the TRADES and consistency terms against hand computations, the
// recipes' losses in the limits where they reduce to cross-entropy, determinism per batch, and the
// catastrophic-overfitting monitor on a constructed collapse.
#include <cmath>
#include <cstring>

#include "adversarial/training/overfitting.hpp"
#include "adversarial/training/recipes.hpp"
#include "helpers.hpp"
#include "models/data/shapes.hpp"
#include "models/registry.hpp"

namespace attrax::adversarial {
using namespace testing;

namespace {

data::Dataset small_shapes(std::int64_t count = 32) {
  return data::make_shapes({.count = count, .size = 16, .channels = 1, .num_classes = 3, .seed = 3});
}

std::unique_ptr<models::Classifier> small_resnet(const data::Dataset& d) {
  models::ModelConfig config = models::config_for("resnet8");
  config.width = 4;
  config.in_channels = 1;
  config.input_size = d.height;
  config.num_classes = d.num_classes();
  config.mean = {0.5};
  config.std = {0.25};
  return models::create_model(config, 5);
}

data::Batch batch_of(const data::Dataset& d, std::int64_t epoch = 0, std::int64_t step = 0) {
  data::Loader loader(d, {.batch_size = 16, .seed = 1});
  return loader.batch(epoch, step);
}

double loss_of(const AdversarialTrainingOptions& o, models::Classifier& model, const data::Batch& b) {
  model.train();
  return adversarial_loss(o)(model, b).loss.item();
}

// The loss of a freshly initialised model: a training-mode forward updates batch-norm running
// statistics, which the next attack (in eval mode) would see, so comparisons start from equal states.
double fresh_loss_of(const AdversarialTrainingOptions& o, const data::Dataset& d, const data::Batch& b) {
  return loss_of(o, *small_resnet(d), b);
}

double clean_cross_entropy(models::Classifier& model, const data::Batch& b) {
  model.train();
  return cross_entropy(model(b.images), b.labels).item();
}

// w_k = quadrant_k + c · pattern_k, the pattern ±1 with zero sum inside every quadrant: clean
// images (uniform quadrants) get the quadrant model's logits, but an L∞ perturbation of size ε
// moves each logit by up to 16 c ε.
std::unique_ptr<LinearModel> fragile_quadrant_model(double c) {
  std::vector<float> w(4 * 16, 0.0f);
  for (int k = 0; k < 4; ++k)
    for (int r = 0; r < 4; ++r)
      for (int col = 0; col < 4; ++col) {
        const float quadrant = (2 * (r / 2) + col / 2) == k ? 1.0f : 0.0f;
        const float pattern = ((r + col + k) % 2 == 0) ? 1.0f : -1.0f;
        w[std::size_t(k * 16 + r * 4 + col)] = quadrant + float(c) * pattern;
      }
  return std::make_unique<LinearModel>(Tensor::from_data(w, {4, 16}),
                                       Tensor::from_data(std::vector<float>(4, -1.0f), {4}));
}

}  // namespace

TEST_CASE("TRADES KL term equals the hand computation") {
  // p = softmax(0, ln 2) = (1/3, 2/3), q = softmax(0, 0) = (1/2, 1/2):
  // KL(p ‖ q) = 1/3 ln(2/3) + 2/3 ln(4/3); the second row has p = q, KL = 0; the mean halves it.
  const Tensor clean = Tensor::from_data(std::vector<float>{0.0f, float(std::log(2.0)), 1.0f, 1.0f}, {2, 2});
  const Tensor adv = Tensor::from_data(std::vector<float>{0.0f, 0.0f, 3.0f, 3.0f}, {2, 2});
  const double expected = (1.0 / 3 * std::log(2.0 / 3) + 2.0 / 3 * std::log(4.0 / 3)) / 2;
  CHECK(mean_kl_divergence(clean, adv).item() == doctest::Approx(expected).epsilon(1e-5));
  CHECK(mean_kl_divergence(clean, clean).item() == doctest::Approx(0.0));
}

TEST_CASE("consistency feature term equals the hand computation") {
  // rows (1, 2, 2) vs (0, 0, 0): 9; (0, 0, 1) vs (0, 0, 0): 1; mean 5
  const Tensor a = Tensor::from_data(std::vector<float>{1, 2, 2, 0, 0, 1}, {2, 3});
  const Tensor b = Tensor::zeros({2, 3});
  CHECK(mean_squared_distance(a, b).item() == doctest::Approx(5.0));
  CHECK(contains(error_message<ShapeError>([&] { mean_squared_distance(a, Tensor::zeros({3, 2})); }),
                 "differ"));
}

TEST_CASE("with ε = 0 the recipes reduce to cross-entropy (consistency: twice, TRADES: once)") {
  const data::Dataset d = small_shapes();
  auto model = small_resnet(d);
  const data::Batch b = batch_of(d);
  const double ce = clean_cross_entropy(*model, b);
  for (const char* method : {"fgsm", "pgd"}) {
    CAPTURE(method);
    AdversarialTrainingOptions o{.method = method, .threat = {Norm::Linf, 0.0}};
    CHECK(loss_of(o, *model, b) == doctest::Approx(ce).epsilon(1e-5));
  }
  // TRADES and consistency see x and x' = x in one batch of 2N: batch norm statistics are those of
  // the batch repeated, which equal the batch's own, so the terms are exact.
  CHECK(loss_of({.method = "trades", .threat = {Norm::Linf, 0.0}}, *model, b) ==
        doctest::Approx(ce).epsilon(1e-4));
  CHECK(loss_of({.method = "consistency", .threat = {Norm::Linf, 0.0}}, *model, b) ==
        doctest::Approx(2 * ce).epsilon(1e-4));
}

TEST_CASE("with ε > 0 the adversarial terms are positive and scale with β and λ") {
  const data::Dataset d = small_shapes();
  const data::Batch b = batch_of(d);
  const ThreatModel threat{Norm::Linf, 0.1};
  const double trades0 = fresh_loss_of({.method = "trades", .threat = threat, .beta = 0}, d, b);
  const double trades1 = fresh_loss_of({.method = "trades", .threat = threat, .beta = 1}, d, b);
  const double trades2 = fresh_loss_of({.method = "trades", .threat = threat, .beta = 2}, d, b);
  CHECK(trades1 > trades0);
  CHECK(trades2 - trades0 == doctest::Approx(2 * (trades1 - trades0)).epsilon(1e-3));
  const double cons0 = fresh_loss_of({.method = "consistency", .threat = threat, .lambda = 0}, d, b);
  const double cons1 = fresh_loss_of({.method = "consistency", .threat = threat, .lambda = 1}, d, b);
  const double cons3 = fresh_loss_of({.method = "consistency", .threat = threat, .lambda = 3}, d, b);
  CHECK(cons1 > cons0);
  CHECK(cons3 - cons0 == doctest::Approx(3 * (cons1 - cons0)).epsilon(1e-3));
  // PGD-AT's loss is the loss at a worse point than the clean one.
  auto model = small_resnet(d);
  CHECK(loss_of({.method = "pgd", .threat = threat}, *model, b) > clean_cross_entropy(*small_resnet(d), b));
}

TEST_CASE("a recipe's attack noise is a function of the batch position") {
  const data::Dataset d = small_shapes();
  const AdversarialTrainingOptions o{.method = "fgsm", .threat = {Norm::Linf, 0.1}, .seed = 4};
  data::Batch b = batch_of(d, 1, 0);
  const double first = fresh_loss_of(o, d, b);
  CHECK(fresh_loss_of(o, d, b) == first);
  b.step = 1;  // the same images at another position draw another random start
  CHECK(fresh_loss_of(o, d, b) != first);
}

TEST_CASE("recipe options are validated and described") {
  CHECK(contains(error_message<ValueError>([] { adversarial_loss({.method = "madry"}); }), "madry"));
  CHECK(contains(error_message<ValueError>([] { adversarial_loss({.method = "trades", .beta = -1}); }),
                 "beta"));
  CHECK(contains(error_message<ValueError>([] {
                   adversarial_loss({.method = "pgd", .threat = {Norm::Linf, -0.1}});
                 }),
                 "eps"));
  CHECK(AdversarialTrainingOptions{.method = "pgd", .threat = {Norm::Linf, 0.1}}.describe() ==
        "pgd linf eps=0.1 steps=7 alpha=0.0357143");
  CHECK(AdversarialTrainingOptions{.method = "fgsm", .threat = {Norm::Linf, 0.1}}.describe() ==
        "fgsm linf eps=0.1 steps=1 alpha=0.125");
}

TEST_CASE("the catastrophic-overfitting monitor fires when PGD accuracy collapses") {
  const LabelledBatch held_out = quadrant_batch(8);
  auto robust = quadrant_model();
  auto fragile = fragile_quadrant_model(1.0);
  REQUIRE(accuracy(*fragile, held_out.images, held_out.labels) == 1.0);
  OverfittingMonitor monitor(held_out.images, held_out.labels,
                             {.threat = {Norm::Linf, 0.08}, .steps = 10, .max_drop = 0.2});
  const double robust_accuracy = monitor.robust_accuracy(*robust);
  const double fragile_accuracy = monitor.robust_accuracy(*fragile);
  CHECK(robust_accuracy == 1.0);
  CHECK(fragile_accuracy == 0.0);
  CHECK_FALSE(monitor.collapsed(robust_accuracy));
  CHECK_FALSE(monitor.collapsed(0.9));  // a drop within max_drop
  CHECK(monitor.collapsed(fragile_accuracy));
  CHECK(monitor.best_epoch() == 0);
  CHECK(monitor.best_accuracy() == 1.0);
}

}  // namespace attrax::adversarial
