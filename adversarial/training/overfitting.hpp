#pragma once
// Catastrophic overfitting (Wong et al. 2020): during fast FGSM-AT, robustness to multi-step attacks
// can collapse within an epoch while FGSM accuracy keeps rising. The monitor measures PGD accuracy
// on a fixed held-out batch after every epoch; when it falls more than `max_drop` below the best
// seen so far, training should stop and roll back to the best epoch's weights.
#include <cstdint>

#include "adversarial/threat.hpp"
#include "nn/module.hpp"

namespace attrax::adversarial {

struct OverfittingMonitorOptions {
  ThreatModel threat{Norm::Linf, 0.1};
  std::int64_t steps = 10;   // PGD-10 with α = 2.5ε/10 and a random start
  double max_drop = 0.2;     // absolute drop in robust accuracy that counts as a collapse
  std::uint64_t seed = 0;
};

class OverfittingMonitor {
 public:
  // images [N, C, H, W] in [0, 1], labels int64 [N]: a batch the model is not trained on.
  OverfittingMonitor(Tensor images, Tensor labels, OverfittingMonitorOptions options);

  // PGD accuracy of the model on the held-out batch (the same attack noise every time).
  double robust_accuracy(nn::Module& model) const;

  // Records an epoch's robust accuracy; true when it is more than max_drop below the best so far.
  bool collapsed(double accuracy);
  double best_accuracy() const { return best_; }
  std::int64_t best_epoch() const { return best_epoch_; }  // 0-based index of the best record

 private:
  Tensor images_, labels_;
  OverfittingMonitorOptions options_;
  double best_ = -1;
  std::int64_t best_epoch_ = -1, records_ = 0;
};

}  // namespace attrax::adversarial
