#include "cli/eval_command.hpp"

#include <iostream>

#include "cli/data_source.hpp"
#include "cli/options.hpp"
#include "models/evaluation.hpp"
#include "models/model_file.hpp"

namespace attrax::cli {

int run_eval(int argc, char** argv) {
  const ParsedOptions o(argc, argv, {"--model", "--data", "--limit", "--threads"}, {"--json"});
  apply_threads(o);
  const std::unique_ptr<models::Classifier> model = models::load_model(o.required("--model"));
  const models::ModelConfig& config = model->config();
  const data::Dataset test = load_data({.spec = o.text("--data", "fmnist"),
                                        .purpose = DataPurpose::Evaluate,
                                        .size = config.input_size,
                                        .channels = config.in_channels});
  const models::Evaluation result = models::evaluate(*model, test, o.integer("--limit", 0, 1));
  std::cout << (o.has("--json") ? result.json() + "\n" : result.table());
  return 0;
}

}  // namespace attrax::cli
