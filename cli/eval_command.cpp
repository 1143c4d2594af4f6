#include "cli/eval_command.hpp"

#include <iostream>

#include "adversarial/robustness.hpp"
#include "cli/attack_options.hpp"
#include "cli/data_source.hpp"
#include "cli/options.hpp"
#include "models/evaluation.hpp"
#include "models/model_file.hpp"

namespace attrax::cli {
namespace {

std::set<std::string> eval_flags() {
  std::set<std::string> flags{"--model", "--data", "--limit", "--threads", "--batch", "--check-limit"};
  flags.insert(attack_flags().begin(), attack_flags().end());
  return flags;
}

int run_robustness(const ParsedOptions& o, models::Classifier& model, const data::Dataset& test) {
  adversarial::RobustnessOptions options;
  options.attacks = split_list("--attack", o.text("--attack", ""));
  options.eps = parse_eps_list(o);
  options.base = parse_attack_spec(o);
  options.limit = o.integer("--limit", 0, 1);
  options.batch_size = o.integer("--batch", 256, 1);
  options.masking_checks = !o.has("--no-checks");
  options.check_limit = o.integer("--check-limit", options.check_limit, 1);
  adversarial::RobustnessReport report;
  try {
    report = adversarial::evaluate_robustness(model, test, options);
  } catch (const ValueError& e) {
    throw UsageError(e.what());
  }
  std::cout << (o.has("--json") ? report.json() + "\n" : report.table());
  for (const adversarial::MaskingCheck& check : report.checks)
    if (!check.passed)
      std::cerr << "attrax eval: warning: gradient-masking check " << check.name
                << " failed: " << check.detail << "\n";
  return 0;
}

}  // namespace

int run_eval(int argc, char** argv) {
  const ParsedOptions o(argc, argv, eval_flags(), {"--json", "--no-checks"});
  apply_threads(o);
  const std::unique_ptr<models::Classifier> model = models::load_model(o.required("--model"));
  const models::ModelConfig& config = model->config();
  const data::Dataset test = load_data({.spec = o.text("--data", "fmnist"),
                                        .purpose = DataPurpose::Evaluate,
                                        .size = config.input_size,
                                        .channels = config.in_channels});
  if (o.has("--attack")) return run_robustness(o, *model, test);
  const models::Evaluation result = models::evaluate(*model, test, o.integer("--limit", 0, 1));
  std::cout << (o.has("--json") ? result.json() + "\n" : result.table());
  return 0;
}

}  // namespace attrax::cli
