#include "adversarial/attacks/pgd.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "adversarial/batch_rows.hpp"
#include "adversarial/random_streams.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
StepSchedule parse_step_schedule(const std::string& text) {
  if (text == "constant") return StepSchedule::Constant;
  if (text == "step") return StepSchedule::Step;
  if (text == "cosine") return StepSchedule::Cosine;
  throw ValueError("step schedule: unknown schedule '" + text + "' (expected constant, step or cosine)");
}

double step_size_at(StepSchedule schedule, double alpha, std::int64_t k, std::int64_t steps) {
  switch (schedule) {
    case StepSchedule::Constant: return alpha;
    case StepSchedule::Step:
      if (4 * k >= 3 * steps) return alpha / 4;
      if (2 * k >= steps) return alpha / 2;
      return alpha;
    case StepSchedule::Cosine:
      // α_k = α · (1 + cos(π k / K)) / 2
      return alpha * (1.0 + std::cos(std::numbers::pi * double(k) / double(steps))) / 2.0;
  }
  return alpha;
}

void PgdOptions::validate() const {
  threat.validate();
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (restarts < 1) throw ValueError("restarts: " + std::to_string(restarts) + " must be at least 1");
  if (!std::isfinite(alpha) || alpha < 0)
    throw ValueError("alpha: " + std::to_string(alpha) + " must be a finite number >= 0");
}

Pgd::Pgd(PgdOptions options, std::string name)
    : options_(std::move(options)), name_(std::move(name)), gen_(options_.seed, kAttackStream) {
  options_.validate();
  if (options_.alpha == 0) options_.alpha = default_step_size(options_.threat.eps, options_.steps);
}

Tensor Pgd::run_once(nn::Module& model, const Tensor& x, const Tensor& labels, Tensor start) const {
  const SampleLoss loss = ascent_loss(options_.loss, options_.targeted);
  Tensor x_adv = std::move(start);
  std::vector<bool> done(std::size_t(x.size(0)), false);
  for (std::int64_t k = 0; k < options_.steps; ++k) {
    const LossGradient lg = loss_gradient(model, x_adv, labels, loss);
    NoGradGuard no_grad;
    const double alpha = step_size_at(options_.schedule, options_.alpha, k, options_.steps);
    const Tensor moved =
        project(x_adv + alpha * ascent_direction(lg.gradient, options_.threat.norm), x, options_.threat);
    if (!options_.early_stop) {
      x_adv = moved;
      continue;
    }
    const std::vector<bool> reached = goal_reached(lg.logits, labels, options_.targeted);
    std::vector<bool> move(done.size());
    for (std::size_t i = 0; i < done.size(); ++i) {
      done[i] = done[i] || reached[i];
      move[i] = !done[i];
    }
    x_adv = select_samples(move, moved, x_adv);
  }
  return x_adv;
}

Tensor Pgd::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  if (options_.restarts == 1)
    return run_once(model, x, labels, options_.random_start ? random_start(x, options_.threat, gen_) : x);
  const SampleLoss loss = ascent_loss(options_.loss, options_.targeted);
  Tensor best;
  std::vector<bool> best_reached;
  std::vector<double> best_loss;
  for (std::int64_t r = 0; r < options_.restarts; ++r) {
    Tensor start = options_.random_start ? random_start(x, options_.threat, gen_) : x;
    Tensor candidate = run_once(model, x, labels, std::move(start));
    NoGradGuard no_grad;
    const Tensor logits = model(candidate);
    const std::vector<bool> reached = goal_reached(logits, labels, options_.targeted);
    const std::vector<double> losses = loss(logits, labels).to_vector();
    if (r == 0) {
      best = candidate;
      best_reached = reached;
      best_loss = losses;
      continue;
    }
    // Keep the first result that reaches the goal; among equals, the higher loss.
    std::vector<bool> take(reached.size());
    for (std::size_t i = 0; i < reached.size(); ++i) {
      take[i] = best_reached[i] ? false : (reached[i] || losses[i] > best_loss[i]);
      if (take[i]) {
        best_reached[i] = reached[i];
        best_loss[i] = losses[i];
      }
    }
    best = select_samples(take, candidate, best);
  }
  return best;
}

Pgd make_bim(PgdOptions options) {
  options.random_start = false;
  if (options.alpha == 0) options.alpha = options.threat.eps / double(options.steps > 0 ? options.steps : 1);
  return Pgd(std::move(options), "bim");
}

}  // namespace attrax::adversarial
