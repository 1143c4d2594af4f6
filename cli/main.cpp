// attrax: the command-line entry point.
#include <cstring>
#include <iostream>
#include <string>

#include "cli/bench_command.hpp"
#include "cli/demo.hpp"
#include "cli/eval_command.hpp"
#include "cli/options.hpp"
#include "cli/train_command.hpp"
#include "engine/error.hpp"

namespace {

constexpr const char* kUsage =
    "usage: attrax <command> [options]\n"
    "\n"
    "commands:\n"
    "  train [options]               train a model; `attrax train --help` lists the options\n"
    "  eval --model FILE [--data D] [--limit N] [--json] [--threads N]\n"
    "                                accuracy, per-class accuracy, confusion matrix, confidence\n"
    "  demo [--epochs N] [--threads N] [--out DIR]\n"
    "                                train a ResNet-8 on Fashion-MNIST (short schedule) and\n"
    "                                evaluate it on the test set\n"
    "  bench [--threads N] [--json] [--filter S]\n"
    "                                the FMA peak, ResNet conv layers and end-to-end workloads\n"
    "                                under ../shared/bench/torch_ref.py's keys (default 2 threads;\n"
    "                                --filter runs only the workloads whose key contains S)\n"
    "  help                          show this message\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "demo") return attrax::cli::run_demo(argc - 2, argv + 2);
    if (command == "train") return attrax::cli::run_train(argc - 2, argv + 2);
    if (command == "eval") return attrax::cli::run_eval(argc - 2, argv + 2);
    if (command == "bench") return attrax::cli::run_bench(argc - 2, argv + 2);
    std::cerr << "attrax: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const attrax::cli::UsageError& e) {
    std::cerr << "attrax " << command << ": " << e.what() << "\n";
    return 2;
  } catch (const attrax::Error& e) {
    std::cerr << "attrax " << command << ": " << e.what() << "\n";
    return 1;
  }
}
