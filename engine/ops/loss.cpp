#include "engine/ops/loss.hpp"

#include "engine/autograd.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/reduction.hpp"
#include "engine/ops/shape_ops.hpp"

namespace attrax {

namespace {

// x seen as [outer, axis, inner] around `axis` (already normalised).
kernels::AxisGeometry axis_geometry(const Shape& shape, int axis) {
  kernels::AxisGeometry g{1, shape[axis], 1};
  for (int i = 0; i < axis; ++i) g.outer *= shape[i];
  for (int i = axis + 1; i < shape.rank(); ++i) g.inner *= shape[i];
  return g;
}

// The stable (log-)softmax of x along axis through the dispatched kernel.
Tensor softmax_forward(const char* op, const Tensor& x, int axis, bool log) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  visit_floating(x.dtype(), op, [&]<class T>() {
    kernels::softmax(axis_geometry(x.shape(), axis), x.data<T>(), y.data<T>(), log);
  });
  return y;
}

// Checks logp: [N,C] float and target: int64 [N] with values in [0, C).
void check_classification(const char* op, const Tensor& scores, const char* role,
                          const Tensor& target) {
  detail::check_floating(op, scores, role);
  detail::check_rank(op, scores, 2, role, "[N,C]");
  detail::check_index(op, target, "target");
  if (!(target.shape() == Shape{scores.size(0)})) {
    throw ShapeError(std::string(op) + ": target must have shape [" +
                     std::to_string(scores.size(0)) + "] (one class per row of " + role + " " +
                     scores.shape().str() + "), got " + target.shape().str());
  }
  const std::int64_t C = scores.size(1);
  const std::int64_t* t = target.data<std::int64_t>();
  for (std::int64_t n = 0; n < target.numel(); ++n) {
    if (t[n] < 0 || t[n] >= C) {
      throw IndexError(std::string(op) + ": target " + std::to_string(t[n]) + " at position " +
                       std::to_string(n) + " is outside the " + std::to_string(C) +
                       " classes [0, " + std::to_string(C) + ") of " + role + " " +
                       scores.shape().str());
    }
  }
}

// The weight of each row's loss in the reduced output: g per row, g, or g / N.
Tensor per_row_weight(const Tensor& g, std::int64_t N, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return g.reshape({N, 1});
    case Reduction::Sum: return g;
    case Reduction::Mean: break;
  }
  return g / double(N);
}

}  // namespace

// y = exp(x) / Σ_axis exp(x):  dx = y ⊙ (g - Σ_axis g ⊙ y)
Tensor softmax(const Tensor& x, int axis_in) {
  detail::check_floating("softmax", x);
  const int axis = normalize_axis(axis_in, x.rank(), "softmax");
  Tensor y = softmax_forward("softmax", x, axis, false);
  return record("softmax", y, {x}, [axis](const Tensor& g, const BackwardContext& ctx) -> Grads {
    const Tensor out = ctx.output();
    return {out * (g - sum(g * out, {axis}, true))};
  }, RecordOptions::saving_output());
}

// y = x - log Σ_axis exp(x):  dx = g - exp(y) ⊙ Σ_axis g
Tensor log_softmax(const Tensor& x, int axis_in) {
  detail::check_floating("log_softmax", x);
  const int axis = normalize_axis(axis_in, x.rank(), "log_softmax");
  Tensor y = softmax_forward("log_softmax", x, axis, true);
  return record("log_softmax", y, {x}, [axis](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {g - exp(ctx.output()) * sum(g, {axis}, true)};
  }, RecordOptions::saving_output());
}

// loss[n] = -logp[n, target[n]], then reduced over n:  dlogp = -one_hot(target) ⊙ g (÷ N for Mean)
Tensor nll_loss(const Tensor& logp, const Tensor& target, Reduction reduction) {
  check_classification("nll_loss", logp, "logp", target);
  const std::int64_t N = logp.size(0), C = logp.size(1);
  Tensor losses = Tensor::empty({N}, logp.dtype());
  visit_floating(logp.dtype(), "nll_loss", [&]<class T>() {
    const T* p = logp.data<T>();
    const std::int64_t* t = target.data<std::int64_t>();
    T* l = losses.data<T>();
    for (std::int64_t n = 0; n < N; ++n) l[n] = -p[n * C + t[n]];
  });
  const Tensor y = reduction == Reduction::None ? losses
                   : reduction == Reduction::Sum  ? sum(losses)
                                                  : sum(losses) / double(N);
  return record("nll_loss", y, {logp}, [target, N, C, reduction](const Tensor& g, const BackwardContext&) -> Grads {
    return {one_hot(target, C, g.dtype()) * neg(per_row_weight(g, N, reduction))};
  });
}

// logits: [N,C] -> nll_loss(log_softmax(logits, 1), target)
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction) {
  check_classification("cross_entropy", logits, "logits", target);
  return nll_loss(log_softmax(logits, 1), target, reduction);
}

}  // namespace attrax
