// attrax: the command-line entry point.
#include <cstring>
#include <iostream>
#include <string>

#include "cli/demo.hpp"
#include "engine/error.hpp"

namespace {

constexpr const char* kUsage =
    "usage: attrax <command> [options]\n"
    "\n"
    "commands:\n"
    "  demo [--steps N] [--seed S]   train a small CNN on synthetic bar images end to end and\n"
    "                                print its accuracy and an input-gradient saliency map\n"
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
    std::cerr << "attrax: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const attrax::Error& e) {
    std::cerr << "attrax " << command << ": " << e.what() << "\n";
    return 1;
  }
}
