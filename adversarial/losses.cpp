#include "adversarial/losses.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

void check_logits(const char* what, const Tensor& logits, const Tensor& labels,
                  std::int64_t min_classes) {
  if (logits.rank() != 2)
    throw ShapeError(std::string(what) + ": expected logits [N, K], got " + logits.shape().str());
  if (labels.rank() != 1 || labels.size(0) != logits.size(0) || labels.dtype() != DType::Int64)
    throw ShapeError(std::string(what) + ": expected int64 labels [" +
                     std::to_string(logits.size(0)) + "], got " + labels.shape().str());
  if (logits.size(1) < min_classes)
    throw ValueError(std::string(what) + ": needs at least " + std::to_string(min_classes) +
                     " classes, the model has " + std::to_string(logits.size(1)));
}

// Row n's class indices sorted by descending logit (ties broken by the lower index).
std::vector<std::int64_t> sorted_classes(const float* row, std::int64_t k) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [row](std::int64_t a, std::int64_t b) { return row[a] > row[b]; });
  return order;
}

// z[n, index[n]] for every row, differentiable: logits [N, K], index int64 [N] -> [N]
Tensor pick(const Tensor& logits, const std::vector<std::int64_t>& index) {
  const std::int64_t n = logits.size(0);
  return gather(logits, 1, Tensor::from_data(index, {n, 1})).reshape({n});
}

// The classes the DLR losses read from each row: the ranks in `ranks` of the sorted logits, and the
// highest class other than `exclude`.
struct RankedClasses {
  std::vector<std::vector<std::int64_t>> at_rank;  // [rank][n]
  std::vector<std::int64_t> best_other;            // [n]
};

RankedClasses rank_classes(const Tensor& logits, const Tensor& exclude,
                           const std::vector<std::size_t>& ranks) {
  NoGradGuard no_grad;
  const Tensor z = logits.detach().clone();
  const std::int64_t n = z.size(0), k = z.size(1);
  const std::int64_t* ex = exclude.data<std::int64_t>();
  RankedClasses out;
  out.at_rank.assign(ranks.size(), std::vector<std::int64_t>(std::size_t(n)));
  out.best_other.resize(std::size_t(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::vector<std::int64_t> order = sorted_classes(z.data<float>() + i * k, k);
    for (std::size_t r = 0; r < ranks.size(); ++r) out.at_rank[r][std::size_t(i)] = order[ranks[r]];
    out.best_other[std::size_t(i)] = order[0] == ex[i] ? order[1] : order[0];
  }
  return out;
}

}  // namespace

Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& labels) {
  check_logits("cross_entropy_per_sample", logits, labels, 1);
  return cross_entropy(logits, labels, Reduction::None);
}

Tensor dlr_per_sample(const Tensor& logits, const Tensor& labels) {
  check_logits("dlr_per_sample", logits, labels, 3);
  const RankedClasses c = rank_classes(logits, labels, {0, 2});
  const std::int64_t n = logits.size(0);
  const std::vector<std::int64_t> y(labels.data<std::int64_t>(), labels.data<std::int64_t>() + n);
  // −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e-12)
  return -(pick(logits, y) - pick(logits, c.best_other)) /
         (pick(logits, c.at_rank[0]) - pick(logits, c.at_rank[1]) + 1e-12);
}

Tensor targeted_dlr_per_sample(const Tensor& logits, const Tensor& labels, const Tensor& targets) {
  check_logits("targeted_dlr_per_sample", logits, labels, 4);
  check_logits("targeted_dlr_per_sample", logits, targets, 4);
  const RankedClasses c = rank_classes(logits, labels, {0, 2, 3});
  const std::int64_t n = logits.size(0);
  const std::vector<std::int64_t> y(labels.data<std::int64_t>(), labels.data<std::int64_t>() + n);
  const std::vector<std::int64_t> t(targets.data<std::int64_t>(), targets.data<std::int64_t>() + n);
  // −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12)
  return -(pick(logits, y) - pick(logits, t)) /
         (pick(logits, c.at_rank[0]) - 0.5 * (pick(logits, c.at_rank[1]) + pick(logits, c.at_rank[2])) +
          1e-12);
}

SampleLoss ascent_loss(SampleLoss loss, bool targeted) {
  if (!targeted) return loss;
  return [loss = std::move(loss)](const Tensor& logits, const Tensor& labels) {
    return -loss(logits, labels);
  };
}

LossGradient loss_gradient(nn::Module& model, const Tensor& x, const Tensor& labels,
                           const SampleLoss& loss) {
  Tensor input = x.detach();
  input.requires_grad_();
  const Tensor logits = model(input);
  const Tensor losses = loss(logits, labels);
  LossGradient out;
  out.gradient = grad({sum(losses)}, {input})[0];
  out.loss = losses.detach();
  out.logits = logits.detach();
  return out;
}

std::vector<std::int64_t> predictions(const Tensor& logits) {
  if (logits.rank() != 2) throw ShapeError("predictions: expected logits [N, K], got " + logits.shape().str());
  const Tensor z = logits.detach().dtype() == DType::Float32 ? logits.detach() : logits.detach().to(DType::Float32);
  const std::int64_t n = z.size(0), k = z.size(1);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = z.data<float>() + i * k;
    out[std::size_t(i)] = std::max_element(row, row + k) - row;
  }
  return out;
}

std::vector<bool> goal_reached(const Tensor& logits, const Tensor& labels, bool targeted) {
  const std::vector<std::int64_t> predicted = predictions(logits);
  const std::int64_t* y = labels.data<std::int64_t>();
  std::vector<bool> out(predicted.size());
  for (std::size_t i = 0; i < predicted.size(); ++i)
    out[i] = targeted ? predicted[i] == y[i] : predicted[i] != y[i];
  return out;
}

}  // namespace attrax::adversarial
