#pragma once
// Learning-rate schedules as pure functions of the optimizer step t = 0, 1, ... (the lr used for
// update t), so a resumed run recomputes its lr from the step count alone. They match PyTorch's
// schedulers stepped once per optimizer step.
#include <cstdint>
#include <memory>

namespace attrax::nn {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double lr_at(std::int64_t step) const = 0;
};

// Constant base lr.
class ConstantLr : public LrSchedule {
 public:
  explicit ConstantLr(double base_lr);
  double lr_at(std::int64_t step) const override;
 private:
  double base_lr_;
};

// StepLR: lr = base γ^floor(t / step_size). Throws ValueError for step_size <= 0.
class StepLr : public LrSchedule {
 public:
  StepLr(double base_lr, std::int64_t step_size, double gamma = 0.1);
  double lr_at(std::int64_t step) const override;
 private:
  double base_lr_, gamma_;
  std::int64_t step_size_;
};

// CosineAnnealingLR over total_steps: lr = min + (base − min)(1 + cos(π t / T)) / 2, min after T.
class CosineLr : public LrSchedule {
 public:
  CosineLr(double base_lr, std::int64_t total_steps, double min_lr = 0.0);
  double lr_at(std::int64_t step) const override;
 private:
  double base_lr_, min_lr_;
  std::int64_t total_steps_;
};

// OneCycleLR (two phases, cosine annealing, as PyTorch's defaults): from max/div_factor up to max over
// the first pct_start of total_steps, then down to max/(div_factor final_div_factor).
class OneCycleLr : public LrSchedule {
 public:
  OneCycleLr(double max_lr, std::int64_t total_steps, double pct_start = 0.3,
             double div_factor = 25.0, double final_div_factor = 1e4);
  double lr_at(std::int64_t step) const override;
 private:
  double max_lr_, pct_start_, div_factor_, final_div_factor_;
  std::int64_t total_steps_;
};

// CyclicLR, mode "triangular": lr rises linearly from base to max over step_size_up steps, falls back
// over step_size_down (default: the same) and repeats.
class CyclicLr : public LrSchedule {
 public:
  CyclicLr(double base_lr, double max_lr, std::int64_t step_size_up, std::int64_t step_size_down = 0);
  double lr_at(std::int64_t step) const override;
 private:
  double base_lr_, max_lr_;
  std::int64_t up_, down_;
};

}  // namespace attrax::nn
