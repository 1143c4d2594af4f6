#include "adversarial/training/overfitting.hpp"

#include "adversarial/attacks/pgd.hpp"
#include "adversarial/losses.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"

namespace attrax::adversarial {

OverfittingMonitor::OverfittingMonitor(Tensor images, Tensor labels, OverfittingMonitorOptions options)
    : images_(std::move(images)), labels_(std::move(labels)), options_(options) {
  if (!(options_.max_drop > 0 && options_.max_drop <= 1))
    throw ValueError("max_drop: must be in (0, 1], got " + std::to_string(options_.max_drop));
  if (!images_.defined() || images_.rank() != 4 || images_.size(0) == 0)
    throw ShapeError("OverfittingMonitor: expected a non-empty batch of images [N, C, H, W]");
}

double OverfittingMonitor::robust_accuracy(nn::Module& model) const {
  Pgd pgd({.threat = options_.threat, .steps = options_.steps, .seed = options_.seed});
  const Tensor x_adv = pgd(model, images_, labels_);
  EvalModeGuard eval_mode(model);
  NoGradGuard no_grad;
  const std::vector<bool> fooled = goal_reached(model(x_adv), labels_, false);
  std::int64_t correct = 0;
  for (bool f : fooled) correct += !f;
  return double(correct) / double(fooled.size());
}

bool OverfittingMonitor::collapsed(double accuracy) {
  const std::int64_t record = records_++;
  if (accuracy > best_) {
    best_ = accuracy;
    best_epoch_ = record;
    return false;
  }
  return best_ - accuracy > options_.max_drop;
}

}  // namespace attrax::adversarial
