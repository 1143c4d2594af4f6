#include "adversarial/attacks/carlini_wagner.hpp"

#include <cmath>
#include <limits>

#include "adversarial/batch_rows.hpp"
#include "adversarial/losses.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

constexpr double kUpperUnknown = 1e10;  // c's upper bound before any round succeeded

// f per sample: max(z_y − max_{i≠y} z_i, −κ) untargeted, max(max_{i≠t} z_i − z_t, −κ) targeted
Tensor margin_term(const Tensor& logits, const Tensor& labels, bool targeted, double kappa) {
  const std::int64_t n = logits.size(0), k = logits.size(1);
  const Tensor mask = one_hot(labels, k);
  const Tensor z_label = sum(logits * mask, {1});
  const Tensor z_other = max(logits - 1e9 * mask, {1});
  const Tensor gap = targeted ? z_other - z_label : z_label - z_other;
  return maximum(gap, Tensor::full({n}, -kappa));
}

// The tanh-space variable of x: w = atanh((2x − 1) · (1 − 1e-6))
Tensor to_tanh_space(const Tensor& x) {
  const Tensor u = (2.0 * x - 1.0) * (1.0 - 1e-6);
  return 0.5 * log((1.0 + u) / (1.0 - u));
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
  std::vector<double> c(n, options_.initial_const), lower(n, 0.0), upper(n, kUpperUnknown);
  std::vector<double> best_l2(n, std::numeric_limits<double>::infinity());
  Tensor best = x;
  const Tensor w0 = to_tanh_space(x);
  for (std::int64_t round = 0; round < options_.binary_search_steps; ++round) {
    std::vector<bool> succeeded(n, false);
    Tensor w = w0.clone(), m = Tensor::zeros(x.shape()), v = Tensor::zeros(x.shape());
    std::vector<float> c_values(c.begin(), c.end());
    const Tensor c_column = Tensor::from_data(c_values, {std::int64_t(n)});
    for (std::int64_t t = 1; t <= options_.steps; ++t) {
      w.requires_grad_();
      const Tensor x_adv = 0.5 * (tanh(w) + 1.0);
      const Tensor logits = model(x_adv);
      const Tensor l2 = sum(flatten((x_adv - x) * (x_adv - x), 1), {1});
      // Σ_n ‖x'_n − x_n‖² + c_n · f_n
      const Tensor loss = sum(l2 + c_column * margin_term(logits, labels, options_.targeted, options_.kappa));
      const Tensor g = grad({loss}, {w})[0];
      NoGradGuard no_grad;
      const std::vector<bool> reached = goal_reached(logits.detach(), labels, options_.targeted);
      const std::vector<double> l2_values = l2.detach().to_vector();
      std::vector<bool> improved(n, false);
      for (std::size_t i = 0; i < n; ++i) {
        succeeded[i] = succeeded[i] || reached[i];
        improved[i] = reached[i] && l2_values[i] < best_l2[i];
        if (improved[i]) best_l2[i] = l2_values[i];
      }
      best = select_samples(improved, x_adv.detach(), best);
      // Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr · m̂ / (√v̂ + 1e-8)
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      const double m_correction = 1.0 - std::pow(0.9, double(t)), v_correction = 1.0 - std::pow(0.999, double(t));
      w = w.detach() - options_.lr * (m / m_correction) / (sqrt(v / v_correction) + 1e-8);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (succeeded[i]) {
        upper[i] = std::min(upper[i], c[i]);
        c[i] = (lower[i] + upper[i]) / 2;
      } else {
        lower[i] = std::max(lower[i], c[i]);
        c[i] = upper[i] < kUpperUnknown ? (lower[i] + upper[i]) / 2 : c[i] * 10;
      }
    }
  }
  return best;
}

}  // namespace attrax::adversarial
