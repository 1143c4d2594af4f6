// The demo: a ResNet-8 trained on Fashion-MNIST with the short schedule, then a fast FGSM-AT
// ResNet-8 (ε = 0.1), then both models' clean accuracy on the test set and their accuracy under
// PGD-20 side by side, with the gradient-masking checks.
#include "cli/demo.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "adversarial/robustness.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/train_command.hpp"
#include "models/data/idx.hpp"
#include "models/evaluation.hpp"

namespace attrax::cli {
namespace {

constexpr double kEps = 0.1;

// Trains the job, prints how long it took and returns the model.
std::unique_ptr<models::Classifier> train_timed(const TrainJob& job, const std::string& label) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<models::Classifier> model = run_training(job);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "trained " << label << ": " << model->config().summary() << " in "
            << format_duration(seconds) << "\n";
  return model;
}

TrainJob resnet8_job(const std::string& out, std::int64_t epochs, double lr) {
  TrainJob job;
  job.model = "resnet8";
  job.out = out;
  job.options.epochs = epochs;
  job.options.batch_size = 128;
  job.options.lr = lr;
  job.options.schedule = "onecycle";
  return job;
}

// PGD-20 (α = 0.01) at ε = 0.1 on the first `limit` test images, with the masking checks.
adversarial::RobustnessReport pgd20(models::Classifier& model, const data::Dataset& test,
                                    std::int64_t limit) {
  adversarial::RobustnessOptions options;
  options.attacks = {"pgd"};
  options.eps = {kEps};
  options.base.steps = 20;
  options.base.alpha = 0.01;
  options.limit = limit;
  return adversarial::evaluate_robustness(model, test, options);
}

void print_side_by_side(const std::vector<std::pair<std::string, adversarial::RobustnessReport>>& rows) {
  std::printf("\n%-22s %10s %16s   (first %lld test images, eps %.2g, alpha 0.01)\n", "model",
              "clean", "PGD-20", static_cast<long long>(rows.front().second.count), kEps);
  for (const auto& [name, report] : rows)
    std::printf("%-22s %10.4f %16.4f\n", name.c_str(), report.clean_accuracy,
                report.results.front().robust_accuracy);
  for (const auto& [name, report] : rows) {
    std::printf("\ngradient-masking checks, %s\n", name.c_str());
    for (const adversarial::MaskingCheck& c : report.checks)
      std::printf("  %-8s %s: %s\n", c.passed ? "ok" : "warning", c.name.c_str(), c.detail.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int run_demo(int argc, char** argv) {
  const ParsedOptions o(argc, argv, {"--epochs", "--adv-epochs", "--robust-limit", "--threads", "--out"},
                        {});
  apply_threads(o);
  const std::string dir = o.text("--out", "demo-output");
  std::filesystem::create_directories(dir);
  const data::Dataset test = data::load_fashion_mnist(data::Split::Test);

  const std::unique_ptr<models::Classifier> standard =
      train_timed(resnet8_job(dir + "/resnet8.safetensors", o.integer("--epochs", 4, 1), 0.2),
                  "standard ResNet-8");
  std::cout << "\n" << models::evaluate(*standard, test).table() << "\n";

  TrainJob fgsm_job = resnet8_job(dir + "/resnet8-fgsm-at.safetensors", o.integer("--adv-epochs", 4, 1), 0.1);
  fgsm_job.adversarial = adversarial::AdversarialTrainingOptions{.method = "fgsm", .threat = {adversarial::Norm::Linf, kEps}};
  const std::unique_ptr<models::Classifier> robust = train_timed(fgsm_job, "FGSM-AT ResNet-8 (eps 0.1)");

  const std::int64_t limit = o.integer("--robust-limit", 1000, 1);
  print_side_by_side({{"standard", pgd20(*standard, test, limit)},
                      {"FGSM-AT", pgd20(*robust, test, limit)}});
  return 0;
}

}  // namespace attrax::cli
