#pragma once
// Robust accuracy of a model on a dataset under attacks and budgets (a robustness curve when ε is
// swept), with the gradient-masking sanity checks of Carlini et al. 2019 / Athalye et al. 2018:
//   more steps      PGD with 4× the steps must not raise robust accuracy;
//   pgd ≥ fgsm      PGD must be at least as strong as FGSM;
//   large ε         PGD at a budget that can erase the image (L∞ 0.5, L2 0.5·√d) must reach ~0%;
//   white ≥ black   the score-based Square attack must not beat the gradient attacks.
// A failed check is a warning that the robustness may come from masked gradients.
#include <cstdint>
#include <string>
#include <vector>

#include "adversarial/attack_factory.hpp"
#include "models/classifier.hpp"
#include "models/data/dataset.hpp"

namespace attrax::adversarial {

struct AttackResult {
  std::string attack;
  std::string norm;
  double eps = 0;
  std::int64_t steps = 0;           // iterations (queries for Square)
  double robust_accuracy = 0;       // fraction classified correctly after the attack
  double success_rate = 0;          // fraction of the clean-correct samples the attack fooled
  double mean_perturbation = 0;     // mean ‖x' − x‖ in the attack's norm over all samples
  double seconds = 0;
};

struct MaskingCheck {
  std::string name;     // "more_steps", "pgd_vs_fgsm", "large_eps", "white_vs_black"
  bool passed = true;
  std::string detail;   // the numbers compared
};

struct RobustnessReport {
  std::int64_t count = 0;
  double clean_accuracy = 0;
  std::vector<AttackResult> results;
  std::vector<MaskingCheck> checks;

  // {"count", "clean_accuracy", "results": [{"attack", "norm", "eps", "steps", "robust_accuracy",
  //  "success_rate", "mean_perturbation", "seconds"}], "checks": [{"name", "passed", "detail"}]}
  std::string json() const;
  // A readable table, then one line per check ("warning: ..." for failures).
  std::string table() const;
};

struct RobustnessOptions {
  std::vector<std::string> attacks{"pgd"};
  std::vector<double> eps{0.1};
  AttackSpec base;               // norm, steps, α, restarts, queries, seed for every attack
  std::int64_t limit = 0;        // the first N images (all when 0)
  std::int64_t batch_size = 256;
  bool masking_checks = true;
  std::int64_t check_limit = 500;  // images the extra attacks of the checks run on
};

// ValueError for an empty attack or ε list, an unknown attack, or a model that does not fit the data.
RobustnessReport evaluate_robustness(models::Classifier& model, const data::Dataset& data,
                                     const RobustnessOptions& options);

}  // namespace attrax::adversarial
