#pragma once
// Watches fast FGSM-AT for catastrophic overfitting (Wong et al. 2020): the last images of the
// training set are held out, PGD-10 accuracy on them is measured after every epoch, and the weights
// of the best epoch are kept in memory; when the accuracy collapses the model is restored to them.
#include <cstdint>
#include <string>
#include <vector>

#include "adversarial/training/overfitting.hpp"
#include "adversarial/training/recipes.hpp"
#include "models/classifier.hpp"
#include "models/data/dataset.hpp"

namespace attrax::cli {

class OverfittingWatch {
 public:
  // Moves the last `holdout` images of `train` out of it (ValueError when too few would remain).
  OverfittingWatch(data::Dataset& train, std::int64_t holdout,
                   const adversarial::AdversarialTrainingOptions& recipe);

  // Measures the model after `epoch` (1-based). Returns true on a collapse, after restoring the
  // best epoch's weights; `report` says what was measured.
  bool collapsed_after(models::Classifier& model, std::int64_t epoch, std::string& report);
  double last_accuracy() const { return last_; }
  std::int64_t best_epoch() const { return best_epoch_; }

 private:
  adversarial::OverfittingMonitor monitor_;
  std::vector<nn::NamedTensor> best_state_;
  std::int64_t best_epoch_ = 0;
  double last_ = 0;
};

}  // namespace attrax::cli
