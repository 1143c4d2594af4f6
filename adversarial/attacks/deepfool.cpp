// DeepFool (Moosavi-Dezfooli et al. 2016), batched: each step runs one forward pass at the current
// points and one backward pass per candidate rank over the whole batch (retaining the graph), then
// every sample still classified as its label steps onto its nearest linearised boundary:
//   l = argmin_k |f_k| / ‖w_k‖_q,  r = (|f_l| + 1e-4) / ‖w_l‖₂² · w_l  (L2)
//                                   r = (|f_l| + 1e-4) / ‖w_l‖₁ · sign(w_l)  (L∞)
// and the next point is clip(x + (1 + overshoot) · Σr, 0, 1).
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

// candidates[i][j]: sample i's j-th best class other than its label.
using CandidateClasses = std::vector<std::vector<std::int64_t>>;

// Per sample, the `count` highest-scoring classes of `logits` other than the label, best first.
CandidateClasses candidate_classes(const Tensor& logits, const Tensor& labels, std::int64_t count) {
  const std::int64_t n = logits.size(0), k = logits.size(1);
  CandidateClasses out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = logits.data<float>() + i * k;
    std::vector<std::int64_t> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [row](std::int64_t a, std::int64_t b) { return row[a] > row[b]; });
    std::vector<std::int64_t>& mine = out[std::size_t(i)];
    for (std::int64_t c : order)
      if (c != labels.data<std::int64_t>()[i] && std::int64_t(mine.size()) < count) mine.push_back(c);
  }
  return out;
}

// The classes of candidate rank j, one per sample, as an int64 index [N, 1] for gather.
Tensor candidates_at_rank(const CandidateClasses& candidates, std::size_t rank) {
  std::vector<std::int64_t> classes;
  classes.reserve(candidates.size());
  for (const std::vector<std::int64_t>& mine : candidates) classes.push_back(mine[rank]);
  return Tensor::from_data(classes, {std::int64_t(classes.size()), 1});
}

// The step's denominator per sample: ‖w_n‖₂² (L2) or ‖w_n‖₁ (L∞).
std::vector<double> step_denominator(const Tensor& w, Norm norm) {
  const Tensor flat = flatten(norm == Norm::L2 ? w * w : abs(w), 1);
  return sum(flat, {1}).to_vector();
}

// The nearest linearised boundary found so far per sample: its distance |f_k| / ‖w_k‖_q and step.
struct NearestBoundary {
  std::vector<double> distance;
  Tensor step;
};

// Keeps, for every active sample, the candidate (f = z_k − z_y, w = ∇f) if its boundary is nearer.
void offer_candidate(NearestBoundary& nearest, const Tensor& f, const Tensor& w, Norm norm,
                     const std::vector<bool>& active) {
  const std::vector<double> f_values = f.to_vector(), denominator = step_denominator(w, norm);
  std::vector<float> scale(active.size(), 0.0f);
  std::vector<bool> nearer(active.size(), false);
  for (std::size_t i = 0; i < active.size(); ++i) {
    const double dual_norm = norm == Norm::L2 ? std::sqrt(denominator[i]) : denominator[i];
    // |f_k| / ‖w_k‖_q
    const double distance = std::abs(f_values[i]) / (dual_norm + 1e-12);
    if (!active[i] || distance >= nearest.distance[i]) continue;
    nearest.distance[i] = distance;
    nearer[i] = true;
    // (|f| + 1e-4) / ‖w‖₂² (L2) or (|f| + 1e-4) / ‖w‖₁ (L∞)
    scale[i] = float((std::abs(f_values[i]) + 1e-4) / (denominator[i] + 1e-12));
  }
  const Tensor direction = norm == Norm::L2 ? w : sign(w);
  nearest.step = select_samples(nearer, sample_column(scale, w) * direction, nearest.step);
}

// The DeepFool step r of every active sample (zero for the others), from the logits of `point`.
Tensor nearest_boundary_step(const Tensor& logits, const Tensor& point, const Tensor& labels,
                             const CandidateClasses& candidates, const std::vector<bool>& active,
                             Norm norm) {
  const std::int64_t n = logits.size(0);
  const Tensor z_label = gather(logits, 1, labels.reshape({n, 1}));
  NearestBoundary nearest{std::vector<double>(active.size(), std::numeric_limits<double>::infinity()),
                          Tensor::zeros(point.shape())};
  for (std::size_t rank = 0; rank < candidates.front().size(); ++rank) {
    // f_k = z_k − z_y,  w_k = ∇ₓ f_k   (rows are independent, so one backward serves the batch)
    const Tensor f = gather(logits, 1, candidates_at_rank(candidates, rank)) - z_label;
    const Tensor w = grad({sum(f)}, {point}, {}, {.retain_graph = true})[0];
    NoGradGuard no_grad;
    offer_candidate(nearest, f.detach(), w, norm, active);
  }
  return nearest.step;
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
  CandidateClasses candidates;
  {
    NoGradGuard no_grad;
    const Tensor clean_logits = model(x);
    candidates = candidate_classes(clean_logits, labels, std::min(options_.candidates, clean_logits.size(1)) - 1);
  }
  Tensor total = Tensor::zeros(x.shape());
  Tensor x_adv = x;
  for (std::int64_t step = 0; step < options_.steps; ++step) {
    Tensor point = x_adv.detach();
    point.requires_grad_();
    const Tensor logits = model(point);
    std::vector<bool> active = goal_reached(logits.detach(), labels, false);
    active.flip();
    if (std::none_of(active.begin(), active.end(), [](bool a) { return a; })) break;
    const Tensor r = nearest_boundary_step(logits, point, labels, candidates, active, options_.norm);
    NoGradGuard no_grad;
    total = total + r;
    // x_{i+1} = clip(x + (1 + overshoot) · Σr, 0, 1)
    x_adv = clamp(x + (1.0 + options_.overshoot) * total, 0.0, 1.0);
  }
  return x_adv;
}

}  // namespace attrax::adversarial
