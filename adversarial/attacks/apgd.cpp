// Auto-PGD (Croce & Hein 2020): momentum PGD whose per-sample step size halves at checkpoints
// when progress stalls, restarting from the best point; see apgd.hpp for the full statement.
#include "adversarial/attacks/apgd.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "adversarial/batch_rows.hpp"
#include "adversarial/random_streams.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

constexpr double kInitialStepFactor = 2.0;  // η⁽⁰⁾ = 2ε
constexpr double kMomentum = 0.75;          // α

// The loss APGD-T ascends: targeted DLR towards the class `targets[n]` for sample n.
SampleLoss targeted_dlr_towards(const Tensor& targets) {
  return [targets](const Tensor& logits, const Tensor& labels) {
    return targeted_dlr_per_sample(logits, labels, targets);
  };
}

// "ce" or "dlr"
SampleLoss untargeted_loss(const std::string& name) {
  if (name == "dlr") return dlr_per_sample;
  return cross_entropy_per_sample;
}

void require_classes(std::int64_t classes, std::int64_t needed, const std::string& option,
                     const std::string& what) {
  if (classes < needed)
    throw ValueError(option + ": " + what + " needs at least " + std::to_string(needed) +
                     " classes, the model has " + std::to_string(classes));
}

// The per-sample step sizes and the bookkeeping of the two halving conditions.
class StepSizeControl {
 public:
  StepSizeControl(double initial_step, std::vector<double> start_loss, double rho)
      : eta_(start_loss.size(), float(initial_step)),
        successes_(start_loss.size(), 0),
        halved_at_last_check_(start_loss.size(), false),
        best_loss_at_last_check_(start_loss),
        last_loss_(std::move(start_loss)),
        rho_(rho) {}

  const std::vector<float>& eta() const { return eta_; }

  // Counts the steps that increased the loss: f(x⁽ᵏ⁺¹⁾) > f(x⁽ᵏ⁾).
  void record(const std::vector<double>& loss) {
    for (std::size_t i = 0; i < loss.size(); ++i) {
      successes_[i] += loss[i] > last_loss_[i];
      last_loss_[i] = loss[i];
    }
  }

  // At checkpoint w_j, `span` = w_j − w_{j−1} steps after the previous one. Halves η where
  //   condition 1: Σ_{i=w_{j−1}}^{w_j−1} 1[f(x⁽ⁱ⁺¹⁾) > f(x⁽ⁱ⁾)] < ρ · (w_j − w_{j−1}), or
  //   condition 2: η⁽ʷʲ⁻¹⁾ = η⁽ʷʲ⁾ and f_max⁽ʷʲ⁻¹⁾ = f_max⁽ʷʲ⁾
  // holds, and returns those samples, which restart from their best point (of loss best_loss).
  std::vector<bool> check(std::int64_t span, const std::vector<double>& best_loss) {
    std::vector<bool> halve(eta_.size());
    for (std::size_t i = 0; i < eta_.size(); ++i) {
      const bool few_successes = double(successes_[i]) < rho_ * double(span);
      const bool stalled = !halved_at_last_check_[i] && best_loss[i] <= best_loss_at_last_check_[i];
      halve[i] = few_successes || stalled;
      if (halve[i]) {
        eta_[i] /= 2;
        last_loss_[i] = best_loss[i];
      }
      halved_at_last_check_[i] = halve[i];
      best_loss_at_last_check_[i] = best_loss[i];
      successes_[i] = 0;
    }
    return halve;
  }

 private:
  std::vector<float> eta_;
  std::vector<std::int64_t> successes_;
  std::vector<bool> halved_at_last_check_;
  std::vector<double> best_loss_at_last_check_;
  std::vector<double> last_loss_;
  double rho_;
};

}  // namespace

void ApgdOptions::validate() const {
  threat.validate();
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (restarts < 1) throw ValueError("restarts: " + std::to_string(restarts) + " must be at least 1");
  if (loss != "ce" && loss != "dlr")
    throw ValueError("loss: unknown loss '" + loss + "' (expected ce or dlr)");
  if (target_classes < 1)
    throw ValueError("target_classes: " + std::to_string(target_classes) + " must be at least 1");
  if (!(rho >= 0 && rho <= 1)) throw ValueError("rho: " + std::to_string(rho) + " must lie in [0, 1]");
}

std::vector<std::int64_t> apgd_checkpoints(std::int64_t iterations) {
  if (iterations < 1) throw ValueError("iterations: " + std::to_string(iterations) + " must be at least 1");
  // p_j in hundredths, exact: p_0 = 0, p_1 = 22, p_{j+1} = p_j + max(p_j − p_{j−1} − 3, 6)
  std::vector<std::int64_t> checkpoints{0};
  std::int64_t previous = 0, current = 22;
  while (current <= 100) {
    // w_j = ⌈p_j · N / 100⌉
    const std::int64_t w = (current * iterations + 99) / 100;
    if (w > checkpoints.back()) checkpoints.push_back(w);
    const std::int64_t next = current + std::max<std::int64_t>(current - previous - 3, 6);
    previous = current;
    current = next;
  }
  return checkpoints;
}

Tensor runner_up_classes(const Tensor& logits, const Tensor& labels, std::int64_t rank) {
  const std::int64_t n = logits.size(0), k = logits.size(1);
  if (rank < 0 || rank > k - 2)
    throw ValueError("rank: " + std::to_string(rank) + " is outside [0, " + std::to_string(k - 2) + "] for " +
                     std::to_string(k) + " classes");
  const std::vector<double> z = logits.to_vector();
  std::vector<std::int64_t> targets;
  for (std::int64_t i = 0; i < n; ++i) {
    const double* row = z.data() + i * k;
    std::vector<std::int64_t> others;
    for (std::int64_t c = 0; c < k; ++c)
      if (c != labels.data<std::int64_t>()[i]) others.push_back(c);
    std::stable_sort(others.begin(), others.end(),
                     [row](std::int64_t a, std::int64_t b) { return row[a] > row[b]; });
    targets.push_back(others[std::size_t(rank)]);
  }
  return Tensor::from_data(targets, {n});
}

struct Apgd::RunResult {
  Tensor best_point;  // the iterate of highest loss, per sample
  std::vector<double> best_loss;
  Tensor adversarial;  // the last misclassified iterate, where `fooled`
  std::vector<bool> fooled;

  // Takes in iterate x_k of loss and logits `lg`; returns the samples whose best loss it improved.
  std::vector<bool> record(const Tensor& x_k, const LossGradient& lg, const Tensor& labels) {
    const std::vector<bool> reached = goal_reached(lg.logits, labels, false);
    adversarial = select_samples(reached, x_k, adversarial);
    const std::vector<double> losses = lg.loss.to_vector();
    std::vector<bool> improved(losses.size());
    for (std::size_t i = 0; i < losses.size(); ++i) {
      fooled[i] = fooled[i] || reached[i];
      improved[i] = losses[i] > best_loss[i];
      if (improved[i]) best_loss[i] = losses[i];
    }
    best_point = select_samples(improved, x_k, best_point);
    return improved;
  }
};

Apgd::Apgd(ApgdOptions options) : options_(std::move(options)), gen_(options_.seed, kAttackStream) {
  options_.validate();
  checkpoints_ = apgd_checkpoints(options_.steps);
}

std::string Apgd::name() const {
  if (options_.targeted) return "apgd-t";
  return "apgd-" + options_.loss;
}

Tensor Apgd::momentum_step(const Tensor& x, const Tensor& x_k, const Tensor& x_previous,
                           const Tensor& gradient, const std::vector<float>& eta, double alpha) const {
  NoGradGuard no_grad;
  // z⁽ᵏ⁺¹⁾ = Π(x⁽ᵏ⁾ + η d(∇f(x⁽ᵏ⁾))),  x⁽ᵏ⁺¹⁾ = Π(x⁽ᵏ⁾ + α (z⁽ᵏ⁺¹⁾ − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾))
  const Tensor z = project(x_k + sample_column(eta, x) * ascent_direction(gradient, options_.threat.norm), x,
                           options_.threat);
  return project(x_k + alpha * (z - x_k) + (1.0 - alpha) * (x_k - x_previous), x, options_.threat);
}

Apgd::RunResult Apgd::run_once(nn::Module& model, const Tensor& x, const Tensor& labels,
                               const SampleLoss& loss) {
  Tensor x_k = random_start(x, options_.threat, gen_), x_previous = x_k;
  LossGradient lg = loss_gradient(model, x_k, labels, loss);
  RunResult out{x_k, lg.loss.to_vector(), x_k, goal_reached(lg.logits, labels, false)};
  Tensor gradient = lg.gradient, best_gradient = lg.gradient;
  StepSizeControl control(kInitialStepFactor * options_.threat.eps, out.best_loss, options_.rho);
  std::size_t next_checkpoint = 1;
  for (std::int64_t k = 0; k < options_.steps; ++k) {
    const Tensor x_next =
        momentum_step(x, x_k, x_previous, gradient, control.eta(), k == 0 ? 1.0 : kMomentum);
    x_previous = x_k;
    x_k = x_next;
    lg = loss_gradient(model, x_k, labels, loss);
    NoGradGuard no_grad;
    gradient = lg.gradient;
    control.record(lg.loss.to_vector());
    best_gradient = select_samples(out.record(x_k, lg, labels), gradient, best_gradient);
    if (next_checkpoint < checkpoints_.size() && k + 1 == checkpoints_[next_checkpoint]) {
      // x⁽ᵏ⁺¹⁾ ← x_max where the step is halved
      const std::vector<bool> halved =
          control.check(checkpoints_[next_checkpoint] - checkpoints_[next_checkpoint - 1], out.best_loss);
      x_k = select_samples(halved, out.best_point, x_k);
      gradient = select_samples(halved, best_gradient, gradient);
      ++next_checkpoint;
    }
  }
  return out;
}

Tensor Apgd::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  Tensor clean_logits;
  {
    NoGradGuard no_grad;
    clean_logits = model(x).detach();
  }
  const std::int64_t classes = clean_logits.size(1);
  if (options_.targeted)
    require_classes(classes, 4, "targeted", "APGD-T (targeted DLR)");
  else if (options_.loss == "dlr")
    require_classes(classes, 3, "loss", "dlr");

  // Samples misclassified from the start are done and stay clean.
  std::vector<bool> fooled = goal_reached(clean_logits, labels, false);
  std::vector<double> best_loss(fooled.size(), -std::numeric_limits<double>::infinity());
  Tensor result = x;
  const std::int64_t ranks = options_.targeted ? std::min(options_.target_classes, classes - 1) : 1;
  for (std::int64_t rank = 0; rank < ranks; ++rank) {
    for (std::int64_t restart = 0; restart < options_.restarts; ++restart) {
      const std::vector<std::int64_t> rows = rows_where(fooled, false);
      if (rows.empty()) return result;
      const Tensor x_rows = take_rows(x, rows), labels_rows = take_rows(labels, rows);
      const SampleLoss loss =
          options_.targeted
              ? targeted_dlr_towards(runner_up_classes(take_rows(clean_logits, rows), labels_rows, rank))
              : untargeted_loss(options_.loss);
      const RunResult run = run_once(model, x_rows, labels_rows, loss);

      // Keep the first adversarial point of a sample; while it has none, its point of highest loss.
      NoGradGuard no_grad;
      std::vector<bool> take(fooled.size(), false);
      for (std::size_t j = 0; j < rows.size(); ++j) {
        const std::size_t i = std::size_t(rows[j]);
        take[i] = run.fooled[j] || run.best_loss[j] > best_loss[i];
        fooled[i] = run.fooled[j];
        best_loss[i] = std::max(best_loss[i], run.best_loss[j]);
      }
      const Tensor candidates = select_samples(run.fooled, run.adversarial, run.best_point);
      result = select_samples(take, replace_rows(result, rows, candidates), result);
    }
  }
  return result;
}

}  // namespace attrax::adversarial
