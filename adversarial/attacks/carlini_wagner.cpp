// Carlini–Wagner L2 (Carlini & Wagner 2017): per binary-search round, Adam on w from w₀ = atanh(2x − 1)
// minimises Σ_n ‖x'_n − x_n‖² + c_n · f_n with x' = (tanh(w) + 1) / 2, differentiating with respect
// to w only. A sample succeeds when its logit gap is below −κ and below 0 (it is misclassified, or
// classified as the target, with confidence κ); its smallest-L2 success is kept. After a round, a
// sample that succeeded lowers its upper bound on c_n to c_n, one that failed raises its lower
// bound; c_n moves to the middle of its bounds (×10 while no upper bound is known yet).
#include "adversarial/attacks/carlini_wagner.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "adversarial/batch_rows.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "nn/optim/adam.hpp"

namespace attrax::adversarial {
namespace {

constexpr double kUpperUnknown = 1e10;  // c's upper bound before any round succeeded

// The logit gap per sample, differentiable: z_y − max_{i≠y} z_i (untargeted, y the true class)
// or max_{i≠t} z_i − z_t (targeted, t the target). Negative means the goal is reached.
Tensor logit_gap(const Tensor& logits, const Tensor& labels, bool targeted) {
  const Tensor mask = one_hot(labels, logits.size(1));
  const Tensor z_label = sum(logits * mask, {1});
  // max over i ≠ label: the label's logit is pushed far below every other
  const Tensor z_other = max(logits - 1e9 * mask, {1});
  return targeted ? z_other - z_label : z_label - z_other;
}

// w = atanh(u) = ½ log((1 + u) / (1 − u)) with u = (2x − 1) · (1 − 1e-6), kept finite at x ∈ {0, 1}
Tensor to_tanh_space(const Tensor& x) {
  NoGradGuard no_grad;
  const Tensor u = (2.0 * x - 1.0) * (1.0 - 1e-6);
  return 0.5 * log((1.0 + u) / (1.0 - u));
}

// x' = (tanh(w) + 1) / 2
Tensor from_tanh_space(const Tensor& w) { return 0.5 * (tanh(w) + 1.0); }

// Per-sample state across rounds: c and its bounds, and the best success so far.
struct SearchState {
  std::vector<double> c, lower, upper, best_l2;
  Tensor best;  // the smallest-L2 success per sample, x where there is none yet
};

// The per-sample c after a round: bisect downwards on success; on failure bisect upwards, or
// multiply by 10 while no round has succeeded yet.
void update_constants(SearchState& state, const std::vector<bool>& succeeded) {
  for (std::size_t i = 0; i < succeeded.size(); ++i) {
    if (succeeded[i]) {
      state.upper[i] = std::min(state.upper[i], state.c[i]);
      state.c[i] = (state.lower[i] + state.upper[i]) / 2;
    } else {
      state.lower[i] = std::max(state.lower[i], state.c[i]);
      state.c[i] = state.upper[i] < kUpperUnknown ? (state.lower[i] + state.upper[i]) / 2 : state.c[i] * 10;
    }
  }
}

// Marks the samples of x_adv that reach the goal with confidence κ, keeping each one's smallest-L2 success.
void record_successes(SearchState& state, std::vector<bool>& succeeded, const Tensor& x_adv, const Tensor& l2,
                      const Tensor& gap, double kappa) {
  const std::vector<double> l2_values = l2.to_vector(), gap_values = gap.to_vector();
  std::vector<bool> improved(succeeded.size(), false);
  for (std::size_t i = 0; i < succeeded.size(); ++i) {
    // success: gap < 0 (goal reached) and gap ≤ −κ (with confidence κ)
    const bool success = gap_values[i] < 0 && gap_values[i] <= -kappa;
    succeeded[i] = succeeded[i] || success;
    improved[i] = success && l2_values[i] < state.best_l2[i];
    if (improved[i]) state.best_l2[i] = l2_values[i];
  }
  state.best = select_samples(improved, x_adv, state.best);
}

// One round of `steps` Adam steps from x at the current constants; whether each sample succeeded.
std::vector<bool> optimise_round(nn::Module& model, const Tensor& x, const Tensor& labels,
                                 const CarliniWagnerOptions& options, SearchState& state) {
  const std::size_t n = state.c.size();
  const Tensor c = Tensor::from_data(std::vector<float>(state.c.begin(), state.c.end()), {std::int64_t(n)});
  std::vector<bool> succeeded(n, false);
  Tensor w = to_tanh_space(x);
  w.requires_grad_();
  // torch.optim.Adam's defaults (β₁ 0.9, β₂ 0.999, ε 1e-8) on w alone; its gradient is set by hand
  // from the input-only path, so no parameter of the model receives one.
  nn::Adam adam({w}, nn::AdamOptions{.lr = options.lr});
  for (std::int64_t t = 0; t < options.steps; ++t) {
    const Tensor x_adv = from_tanh_space(w);
    const Tensor l2 = sum(flatten((x_adv - x) * (x_adv - x), 1), {1});
    const Tensor gap = logit_gap(model(x_adv), labels, options.targeted);
    // Σ_n ‖x'_n − x_n‖² + c_n · max(gap_n, −κ)
    const Tensor objective = sum(l2 + c * maximum(gap, Tensor::full(gap.shape(), -options.kappa)));
    const Tensor g = grad({objective}, {w})[0];
    NoGradGuard no_grad;
    record_successes(state, succeeded, x_adv.detach(), l2.detach(), gap.detach(), options.kappa);
    w.set_grad(g);
    adam.step();
  }
  return succeeded;
}

}  // namespace

void CarliniWagnerOptions::validate() const {
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (binary_search_steps < 1)
    throw ValueError("binary_search_steps: " + std::to_string(binary_search_steps) + " must be at least 1");
  if (!std::isfinite(initial_const) || initial_const <= 0)
    throw ValueError("initial_const: " + std::to_string(initial_const) + " must be a finite number > 0");
  if (!std::isfinite(kappa) || kappa < 0)
    throw ValueError("kappa: " + std::to_string(kappa) + " must be a finite number >= 0");
  if (!std::isfinite(lr) || lr <= 0) throw ValueError("lr: " + std::to_string(lr) + " must be a finite number > 0");
  if (eps) ThreatModel{Norm::L2, *eps}.validate();
}

CarliniWagner::CarliniWagner(CarliniWagnerOptions options) : options_(std::move(options)) {
  options_.validate();
}

std::optional<ThreatModel> CarliniWagner::threat() const {
  if (!options_.eps) return std::nullopt;
  return ThreatModel{Norm::L2, *options_.eps};
}

Tensor CarliniWagner::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  const std::size_t n = static_cast<std::size_t>(x.size(0));
  SearchState state{std::vector<double>(n, options_.initial_const), std::vector<double>(n, 0.0),
                    std::vector<double>(n, kUpperUnknown),
                    std::vector<double>(n, std::numeric_limits<double>::infinity()), x};
  for (std::int64_t round = 0; round < options_.binary_search_steps; ++round)
    update_constants(state, optimise_round(model, x, labels, options_, state));
  return state.best;
}

}  // namespace attrax::adversarial
