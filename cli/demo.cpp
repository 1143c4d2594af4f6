// The demo: the short Fashion-MNIST schedule of a ResNet-8, then its test-set evaluation.
#include "cli/demo.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/train_command.hpp"
#include "models/data/idx.hpp"
#include "models/evaluation.hpp"

namespace attrax::cli {

int run_demo(int argc, char** argv) {
  const ParsedOptions o(argc, argv, {"--epochs", "--threads", "--out"}, {});
  apply_threads(o);
  const std::string dir = o.text("--out", "demo-output");
  std::filesystem::create_directories(dir);
  TrainJob job;
  job.model = "resnet8";
  job.out = dir + "/resnet8.safetensors";
  job.options.epochs = o.integer("--epochs", 4, 1);
  job.options.batch_size = 128;
  job.options.lr = 0.2;
  job.options.schedule = "onecycle";
  const auto start = std::chrono::steady_clock::now();
  const std::unique_ptr<models::Classifier> model = run_training(job);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "trained " << model->config().summary() << " in " << format_duration(seconds)
            << "\n\n";
  const data::Dataset test = data::load_fashion_mnist(data::Split::Test);
  std::cout << models::evaluate(*model, test).table();
  return 0;
}

}  // namespace attrax::cli
