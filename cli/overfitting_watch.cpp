#include "cli/overfitting_watch.hpp"

#include <cstdio>
#include <numeric>

#include "engine/error.hpp"

namespace attrax::cli {
namespace {

// The images [first, count) of `d` and their labels.
adversarial::OverfittingMonitor monitor_for(const data::Dataset& d, std::int64_t first,
                                            const adversarial::AdversarialTrainingOptions& recipe) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(d.count - first));
  std::iota(indices.begin(), indices.end(), first);
  return adversarial::OverfittingMonitor(d.images(indices), d.labels_of(indices),
                                         {.threat = recipe.threat, .steps = 10, .seed = recipe.seed});
}

std::int64_t checked_first(const data::Dataset& train, std::int64_t holdout) {
  if (holdout < 1 || holdout * 2 > train.count)
    throw ValueError("--overfit-holdout " + std::to_string(holdout) + " must be between 1 and half of the " +
                     std::to_string(train.count) + " training images");
  return train.count - holdout;
}

std::vector<nn::NamedTensor> copy_state(const models::Classifier& model) {
  std::vector<nn::NamedTensor> state = model.state_dict();
  for (nn::NamedTensor& entry : state) entry.tensor = entry.tensor.clone();
  return state;
}

}  // namespace

OverfittingWatch::OverfittingWatch(data::Dataset& train, std::int64_t holdout,
                                   const adversarial::AdversarialTrainingOptions& recipe)
    : monitor_(monitor_for(train, checked_first(train, holdout), recipe)) {
  train = train.head(train.count - holdout);
}

bool OverfittingWatch::collapsed_after(models::Classifier& model, std::int64_t epoch,
                                       std::string& report) {
  last_ = monitor_.robust_accuracy(model);
  const bool collapsed = monitor_.collapsed(last_);
  char text[200];
  if (!collapsed && monitor_.best_accuracy() == last_) {
    best_state_ = copy_state(model);
    best_epoch_ = epoch;
  }
  std::snprintf(text, sizeof text, "held-out PGD-10 accuracy %.4f (best %.4f after epoch %lld)", last_,
                monitor_.best_accuracy(), static_cast<long long>(best_epoch_));
  report = text;
  if (collapsed && !best_state_.empty()) model.load_state_dict(best_state_);
  return collapsed;
}

}  // namespace attrax::cli
