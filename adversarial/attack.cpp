#include "adversarial/attack.hpp"

#include "adversarial/losses.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

void check_inputs(const std::string& attack, const Tensor& x, const Tensor& labels) {
  if (!x.defined() || x.rank() != 4 || x.dtype() != DType::Float32)
    throw ShapeError(attack + ": expected float32 images [N, C, H, W], got " +
                     (x.defined() ? x.shape().str() : std::string("an undefined tensor")));
  if (!labels.defined() || labels.rank() != 1 || labels.dtype() != DType::Int64 ||
      labels.size(0) != x.size(0))
    throw ShapeError(attack + ": expected int64 labels [" + std::to_string(x.size(0)) + "], got " +
                     (labels.defined() ? labels.shape().str() : std::string("an undefined tensor")));
  NoGradGuard no_grad;
  const double lo = -max(-x).item(), hi = max(x).item();
  if (!(lo >= 0.0 && hi <= 1.0))
    throw ValueError(attack + ": images must lie in [0, 1], got values in [" + std::to_string(lo) +
                     ", " + std::to_string(hi) + "]");
}

}  // namespace

Tensor Attack::operator()(nn::Module& model, const Tensor& x, const Tensor& labels) {
  check_inputs(name(), x, labels);
  const std::optional<ThreatModel> ball = threat();
  if (ball) ball->validate();
  EvalModeGuard eval_mode(model);
  const Tensor x_clean = x.detach();
  Tensor adversarial = run(model, x_clean, labels);
  NoGradGuard no_grad;
  if (ball) return project(adversarial, x_clean, *ball);
  return clamp(adversarial.detach(), 0.0, 1.0);
}

double default_step_size(double eps, std::int64_t steps) {
  return 2.5 * eps / double(steps > 0 ? steps : 1);
}

}  // namespace attrax::adversarial
