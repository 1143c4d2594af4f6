// AutoAttack (Croce & Hein 2020) without FAB: APGD-CE, APGD-T and Square in sequence, each on the
// samples still correctly classified; see autoattack.hpp.
#include "adversarial/attacks/autoattack.hpp"

#include <algorithm>
#include <numeric>

#include "adversarial/attacks/apgd.hpp"
#include "adversarial/attacks/square.hpp"
#include "adversarial/batch_rows.hpp"
#include "adversarial/losses.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

constexpr std::int64_t kTargetClasses = 9;
constexpr std::int64_t kTargetedDlrMinClasses = 4;
const std::string kClean = "clean";

std::vector<std::int64_t> robust_rows(const std::vector<std::string>& broken_by) {
  std::vector<std::int64_t> rows;
  for (std::size_t i = 0; i < broken_by.size(); ++i)
    if (broken_by[i].empty()) rows.push_back(std::int64_t(i));
  return rows;
}

std::vector<bool> misclassified(nn::Module& model, const Tensor& x, const Tensor& labels) {
  NoGradGuard no_grad;
  return goal_reached(model(x), labels, false);
}

}  // namespace

void AutoAttackOptions::validate() const {
  threat.validate();
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (queries < 1) throw ValueError("queries: " + std::to_string(queries) + " must be at least 1");
}

AutoAttack::AutoAttack(AutoAttackOptions options) : options_(std::move(options)) {
  options_.validate();
  apgd_ce_ = std::make_unique<Apgd>(
      ApgdOptions{.threat = options_.threat, .steps = options_.steps, .loss = "ce", .seed = options_.seed});
  apgd_t_ = std::make_unique<Apgd>(ApgdOptions{.threat = options_.threat,
                                               .steps = options_.steps,
                                               .targeted = true,
                                               .target_classes = kTargetClasses,
                                               .seed = options_.seed});
  square_ = std::make_unique<Square>(
      SquareOptions{.threat = options_.threat, .queries = options_.queries, .seed = options_.seed});
}

std::vector<Attack*> AutoAttack::components(std::int64_t classes) const {
  if (classes < kTargetedDlrMinClasses) return {apgd_ce_.get(), square_.get()};
  return {apgd_ce_.get(), apgd_t_.get(), square_.get()};
}

std::vector<std::pair<std::string, std::int64_t>> AutoAttack::broken_counts() const {
  std::vector<std::pair<std::string, std::int64_t>> counts;
  for (const std::string& name : {kClean, apgd_ce_->name(), apgd_t_->name(), square_->name()})
    counts.emplace_back(name, std::count(broken_by_.begin(), broken_by_.end(), name));
  return counts;
}

Tensor AutoAttack::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  std::int64_t classes = 0;
  {
    NoGradGuard no_grad;
    const Tensor logits = model(x);
    classes = logits.size(1);
    const std::vector<bool> wrong = goal_reached(logits, labels, false);
    broken_by_.assign(wrong.size(), "");
    for (std::size_t i = 0; i < wrong.size(); ++i)
      if (wrong[i]) broken_by_[i] = kClean;
  }
  Tensor result = x;
  for (Attack* attack : components(classes)) {
    const std::vector<std::int64_t> rows = robust_rows(broken_by_);
    if (rows.empty()) break;
    const Tensor labels_rows = take_rows(labels, rows);
    const Tensor adversarial = (*attack)(model, take_rows(x, rows), labels_rows);
    const std::vector<bool> fooled = misclassified(model, adversarial, labels_rows);
    for (std::size_t j = 0; j < rows.size(); ++j)
      if (fooled[j]) broken_by_[std::size_t(rows[j])] = attack->name();
    NoGradGuard no_grad;
    result = replace_rows(result, rows, adversarial);
  }
  return result;
}

}  // namespace attrax::adversarial
