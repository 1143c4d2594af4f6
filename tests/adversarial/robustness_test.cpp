// Robustness evaluation: robust accuracy per attack and ε, its JSON, and the gradient-masking checks.
#include <nlohmann/json.hpp>

#include "adversarial/robustness.hpp"
#include "helpers.hpp"
#include "models/data/shapes.hpp"
#include "models/registry.hpp"
#include "models/training.hpp"

namespace attrax::adversarial {
using namespace testing;

namespace {

data::Dataset shapes(std::uint64_t seed, std::int64_t count) {
  return data::make_shapes({.count = count, .size = 16, .channels = 1, .num_classes = 3, .seed = seed});
}

std::unique_ptr<models::Classifier> train_small_resnet() {
  const data::Dataset train = shapes(1, 300);
  models::ModelConfig config = models::config_for("resnet8");
  config.width = 4;
  config.in_channels = 1;
  config.input_size = 16;
  config.num_classes = 3;
  config.mean = {0.5};
  config.std = {0.25};
  auto model = models::create_model(config, 0);
  models::TrainOptions options;
  options.epochs = 6;
  options.batch_size = 32;
  options.lr = 0.1;
  models::Trainer trainer(*model, train, options);
  while (!trainer.finished()) trainer.run_epoch();
  return model;
}

// A small ResNet trained for a few epochs on the shapes, so that it is accurate and attackable
// (trained once, shared by the cases).
models::Classifier& trained_model() {
  static const std::unique_ptr<models::Classifier> model = train_small_resnet();
  return *model;
}

}  // namespace

TEST_CASE("robustness: accuracy falls with ε, ε = 0 keeps the clean accuracy, JSON has the keys") {
  models::Classifier& model = trained_model();
  const data::Dataset test = shapes(2, 64);
  RobustnessOptions options;
  options.attacks = {"fgsm", "pgd"};
  options.eps = {0.0, 0.05, 0.3};
  options.base.steps = 10;
  options.check_limit = 32;
  const RobustnessReport report = evaluate_robustness(model, test, options);
  REQUIRE(report.results.size() == 6);
  CHECK(report.count == 64);
  CHECK(report.clean_accuracy > 0.6);
  for (const AttackResult& r : report.results) {
    CAPTURE(r.attack);
    CAPTURE(r.eps);
    CHECK(r.robust_accuracy <= report.clean_accuracy + 1e-12);
    CHECK(r.mean_perturbation <= r.eps + 1e-6);
    if (r.eps == 0.0) CHECK(r.robust_accuracy == report.clean_accuracy);
  }
  // PGD at ε = 0.3 against FGSM at ε = 0.05 and ε = 0.3 (results are ordered ε-major).
  CHECK(report.results[5].robust_accuracy <= report.results[3].robust_accuracy);
  CHECK(report.results[5].robust_accuracy < report.clean_accuracy);
  CHECK(report.results[5].success_rate > 0.0);
  const nlohmann::json j = nlohmann::json::parse(report.json());
  CHECK(j.at("clean_accuracy").get<double>() == report.clean_accuracy);
  CHECK(j.at("results").size() == 6);
  for (const char* key : {"attack", "eps", "steps", "robust_accuracy", "success_rate", "mean_perturbation"})
    CHECK(j.at("results")[0].contains(key));
  CHECK(j.at("results")[1].at("steps").get<int>() == 10);
  CHECK(j.at("results")[0].at("steps").get<int>() == 10);  // an explicit --steps applies to every attack
}

TEST_CASE("robustness: the gradient-masking checks pass on an honest model") {
  models::Classifier& model = trained_model();
  const data::Dataset test = shapes(3, 48);
  RobustnessOptions options;
  options.attacks = {"pgd"};
  options.eps = {0.1};
  options.check_limit = 48;
  const RobustnessReport report = evaluate_robustness(model, test, options);
  REQUIRE(report.checks.size() == 3);
  CHECK(report.checks[0].name == "more_steps");
  CHECK(report.checks[1].name == "pgd_vs_fgsm");
  CHECK(report.checks[2].name == "large_eps");
  for (const MaskingCheck& c : report.checks) {
    CAPTURE(c.detail);
    CHECK(c.passed);
  }
  CHECK(contains(report.table(), "ok       large_eps"));
}

TEST_CASE("robustness: unknown attacks, empty lists and bad ε are refused before any work") {
  models::Classifier& model = trained_model();
  const data::Dataset test = shapes(2, 8);
  RobustnessOptions options;
  options.attacks = {"pgd", "nope"};
  CHECK(contains(error_message<ValueError>([&] { evaluate_robustness(model, test, options); }), "nope"));
  options.attacks = {};
  CHECK(contains(error_message<ValueError>([&] { evaluate_robustness(model, test, options); }), "attack"));
  options.attacks = {"pgd"};
  options.eps = {-0.1};
  CHECK(contains(error_message<ValueError>([&] { evaluate_robustness(model, test, options); }), "eps"));
}

}  // namespace attrax::adversarial
