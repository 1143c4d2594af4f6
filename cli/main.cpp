// attrax: the command-line entry point.
#include <cstring>
#include <iostream>
#include <string>

#include "cli/attack_command.hpp"
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
    "       [--attack A[,B] --eps E[,E2] --norm linf|l2 --steps K --alpha A --restarts R\n"
    "        --queries Q --seed S --no-checks --check-limit N]\n"
    "                                robust accuracy per attack and eps, success rate, mean\n"
    "                                perturbation, gradient-masking checks\n"
    "  attack --model FILE[,FILE2] --input x.png|x.npy --attack A --eps E [--target T] --out DIR\n"
    "                                one adversarial image (PNG and .npy), prediction before/after;\n"
    "                                several models are attacked as one ensemble (mean logits)\n"
    "  demo [--epochs N] [--adv-epochs N] [--robust-limit N] [--threads N] [--out DIR]\n"
    "                                train a ResNet-8 on Fashion-MNIST (short schedule), then a\n"
    "                                fast FGSM-AT ResNet-8; clean and PGD-20 accuracy side by side\n"
    "  bench [--threads N] [--json] [--filter S] [--reps N] [--fastest]\n"
    "                                the FMA peak, ResNet conv layers and end-to-end workloads\n"
    "                                under ../shared/bench/torch_ref.py's keys (default 2 threads;\n"
    "                                --filter runs only the workloads whose key contains S;\n"
    "                                --reps times each conv pass N times, default 5; --fastest\n"
    "                                reports the fastest of them instead of the median)\n"
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
    if (command == "attack") return attrax::cli::run_attack(argc - 2, argv + 2);
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
