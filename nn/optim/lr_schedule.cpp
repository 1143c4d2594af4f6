#include "nn/optim/lr_schedule.hpp"

#include <cmath>
#include <numbers>
#include <sstream>

#include "engine/error.hpp"

namespace attrax::nn {

namespace {

// Throws ValueError "<schedule>: <option> must be <rule>, got <value>" unless ok.
void require(bool ok, const char* schedule, const char* option, const char* rule, double value) {
  if (ok) return;
  std::ostringstream message;
  message << schedule << ": " << option << " must be " << rule << ", got " << value;
  throw ValueError(message.str());
}

void require_lr(double lr, const char* schedule, const char* option) {
  require(lr >= 0, schedule, option, ">= 0", lr);
}

void require_step(std::int64_t step, const char* schedule) {
  require(step >= 0, schedule, "step", ">= 0", static_cast<double>(step));
}

// Cosine interpolation from start (pct = 0) to end (pct = 1), in PyTorch's order of operations:
//   end + (start − end) / 2 (1 + cos(π pct))
double anneal_cos(double start, double end, double pct) {
  return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1);
}

}  // namespace

ConstantLr::ConstantLr(double base_lr) : base_lr_(base_lr) {
  require_lr(base_lr, "ConstantLr", "base_lr");
}

double ConstantLr::lr_at(std::int64_t step) const {
  require_step(step, "ConstantLr");
  return base_lr_;
}

StepLr::StepLr(double base_lr, std::int64_t step_size, double gamma)
    : base_lr_(base_lr), gamma_(gamma), step_size_(step_size) {
  require_lr(base_lr, "StepLr", "base_lr");
  require(step_size > 0, "StepLr", "step_size", "> 0", static_cast<double>(step_size));
  require(gamma >= 0, "StepLr", "gamma", ">= 0", gamma);
}

// lr = base γ^floor(t / step_size)
double StepLr::lr_at(std::int64_t step) const {
  require_step(step, "StepLr");
  return base_lr_ * std::pow(gamma_, static_cast<double>(step / step_size_));
}

CosineLr::CosineLr(double base_lr, std::int64_t total_steps, double min_lr)
    : base_lr_(base_lr), min_lr_(min_lr), total_steps_(total_steps) {
  require_lr(base_lr, "CosineLr", "base_lr");
  require_lr(min_lr, "CosineLr", "min_lr");
  require(total_steps > 0, "CosineLr", "total_steps", "> 0", static_cast<double>(total_steps));
}

// lr = min + (base − min)(1 + cos(π t / T)) / 2 for t < T, min from T on
double CosineLr::lr_at(std::int64_t step) const {
  require_step(step, "CosineLr");
  if (step >= total_steps_) return min_lr_;
  const double angle = std::numbers::pi * static_cast<double>(step) / total_steps_;
  return min_lr_ + (base_lr_ - min_lr_) * (1 + std::cos(angle)) / 2;
}

OneCycleLr::OneCycleLr(double max_lr, std::int64_t total_steps, double pct_start,
                       double div_factor, double final_div_factor)
    : max_lr_(max_lr), pct_start_(pct_start), div_factor_(div_factor),
      final_div_factor_(final_div_factor), total_steps_(total_steps) {
  require_lr(max_lr, "OneCycleLr", "max_lr");
  require(total_steps > 0, "OneCycleLr", "total_steps", "> 0", static_cast<double>(total_steps));
  require(pct_start > 0 && pct_start < 1, "OneCycleLr", "pct_start", "in (0, 1)", pct_start);
  require(div_factor > 0, "OneCycleLr", "div_factor", "> 0", div_factor);
  require(final_div_factor > 0, "OneCycleLr", "final_div_factor", "> 0", final_div_factor);
}

// With initial = max / div_factor and final = initial / final_div_factor, PyTorch's phases end at
// w = pct_start T − 1 (warm-up, initial → max) and T − 1 (annealing, max → final), each following
// anneal_cos over the elapsed fraction of the phase. Both phases give max at t = w, so the warm-up
// test is t < w, which also spares the 0/0 of an empty warm-up. From T − 1 on, lr stays final
// (PyTorch raises for t > T).
double OneCycleLr::lr_at(std::int64_t step) const {
  require_step(step, "OneCycleLr");
  const double initial = max_lr_ / div_factor_;
  const double final_lr = initial / final_div_factor_;
  const double warmup_end = pct_start_ * static_cast<double>(total_steps_) - 1;
  const double last = static_cast<double>(total_steps_ - 1);
  const double t = static_cast<double>(step);
  if (t >= last) return final_lr;
  if (t < warmup_end) return anneal_cos(initial, max_lr_, t / warmup_end);
  return anneal_cos(max_lr_, final_lr, (t - warmup_end) / (last - warmup_end));
}

CyclicLr::CyclicLr(double base_lr, double max_lr, std::int64_t step_size_up,
                   std::int64_t step_size_down)
    : base_lr_(base_lr), max_lr_(max_lr), up_(step_size_up),
      down_(step_size_down == 0 ? step_size_up : step_size_down) {
  require_lr(base_lr, "CyclicLr", "base_lr");
  require_lr(max_lr, "CyclicLr", "max_lr");
  require(step_size_up > 0, "CyclicLr", "step_size_up", "> 0", static_cast<double>(step_size_up));
  require(step_size_down >= 0, "CyclicLr", "step_size_down", ">= 0 (0: step_size_up)",
          static_cast<double>(step_size_down));
}

// With the cycle length L = up + down and the rising fraction r = up / L, as PyTorch computes it:
//   cycle = floor(1 + t / L);  x = 1 + t / L − cycle   (position in the cycle, [0, 1))
//   scale = x / r while rising, (x − 1) / (r − 1) while falling;  lr = base + (max − base) scale
double CyclicLr::lr_at(std::int64_t step) const {
  require_step(step, "CyclicLr");
  const double length = static_cast<double>(up_ + down_);
  const double rising = static_cast<double>(up_) / length;
  const double cycle = std::floor(1 + static_cast<double>(step) / length);
  const double x = 1. + static_cast<double>(step) / length - cycle;
  const double scale = x <= rising ? x / rising : (x - 1) / (rising - 1);
  return base_lr_ + (max_lr_ - base_lr_) * scale;
}

}  // namespace attrax::nn
