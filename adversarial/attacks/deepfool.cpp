#include "adversarial/attacks/deepfool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "adversarial/batch_rows.hpp"
#include "adversarial/losses.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

// Per sample, the `count` highest-scoring classes other than the label, best first.
std::vector<std::vector<std::int64_t>> candidate_classes(const Tensor& logits, const Tensor& labels,
                                                         std::int64_t count) {
  const std::int64_t n = logits.size(0), k = logits.size(1);
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = logits.data<float>() + i * k;
    std::vector<std::int64_t> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [row](std::int64_t a, std::int64_t b) { return row[a] > row[b]; });
    for (std::int64_t c : order)
      if (c != labels.data<std::int64_t>()[i] && std::int64_t(out[std::size_t(i)].size()) < count)
        out[std::size_t(i)].push_back(c);
  }
  return out;
}

// Per-sample sums over (C, H, W) of |v| (q = 1) or v² (q = 2).
std::vector<double> per_sample_power_sum(const Tensor& v, int q) {
  NoGradGuard no_grad;
  const Tensor flat = flatten(q == 1 ? abs(v) : v * v, 1);
  return sum(flat, {1}).to_vector();
}

}  // namespace

void DeepFoolOptions::validate() const {
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (!std::isfinite(overshoot) || overshoot < 0)
    throw ValueError("overshoot: " + std::to_string(overshoot) + " must be a finite number >= 0");
  if (candidates < 2) throw ValueError("candidates: " + std::to_string(candidates) + " must be at least 2");
  if (budget) budget->validate();
}

DeepFool::DeepFool(DeepFoolOptions options) : options_(std::move(options)) { options_.validate(); }

Tensor DeepFool::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  const std::int64_t n = x.size(0);
  Tensor clean_logits;
  {
    NoGradGuard no_grad;
    clean_logits = model(x);
  }
  const std::int64_t others = std::min(options_.candidates, clean_logits.size(1)) - 1;
  const std::vector<std::vector<std::int64_t>> candidates = candidate_classes(clean_logits, labels, others);
  const int q = options_.norm == Norm::L2 ? 2 : 1;  // the dual norm's power of the boundary distance
  Tensor total = Tensor::zeros(x.shape());
  Tensor x_adv = x;
  for (std::int64_t step = 0; step < options_.steps; ++step) {
    Tensor point = x_adv.detach();
    point.requires_grad_();
    const Tensor logits = model(point);
    const std::vector<bool> fooled = goal_reached(logits.detach(), labels, false);
    if (std::all_of(fooled.begin(), fooled.end(), [](bool f) { return f; })) break;
    const Tensor z_y = gather(logits, 1, labels.reshape({n, 1}));
    std::vector<double> best_ratio(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    Tensor best_step = Tensor::zeros(x.shape());
    for (std::int64_t j = 0; j < others; ++j) {
      std::vector<std::int64_t> class_j(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) class_j[std::size_t(i)] = candidates[std::size_t(i)][std::size_t(j)];
      // f_k = z_k − z_y and w_k = ∇ f_k, per sample
      const Tensor f = gather(logits, 1, Tensor::from_data(class_j, {n, 1})) - z_y;
      const Tensor w = grad({sum(f)}, {point}, {}, {.retain_graph = true})[0];
      NoGradGuard no_grad;
      const std::vector<double> f_values = f.detach().to_vector(), w_power = per_sample_power_sum(w, q);
      std::vector<float> scale(static_cast<std::size_t>(n), 0.0f);
      std::vector<bool> better(static_cast<std::size_t>(n), false);
      for (std::size_t i = 0; i < std::size_t(n); ++i) {
        const double w_norm = q == 2 ? std::sqrt(w_power[i]) : w_power[i];
        // |f_k| / ‖w_k‖_q
        const double ratio = std::abs(f_values[i]) / (w_norm + 1e-12);
        if (fooled[i] || ratio >= best_ratio[i]) continue;
        best_ratio[i] = ratio;
        better[i] = true;
        // L2: (|f| + 1e-4) / ‖w‖₂², L∞: (|f| + 1e-4) / ‖w‖₁
        scale[i] = float((std::abs(f_values[i]) + 1e-4) / (w_power[i] + 1e-12));
      }
      const Tensor direction = q == 2 ? w : sign(w);
      best_step = select_samples(better, sample_column(scale, x) * direction, best_step);
    }
    NoGradGuard no_grad;
    total = total + best_step;
    // x' = clip(x + (1 + overshoot) · Σr, 0, 1)
    x_adv = clamp(x + (1.0 + options_.overshoot) * total, 0.0, 1.0);
  }
  return x_adv;
}

}  // namespace attrax::adversarial
