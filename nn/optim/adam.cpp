#include "nn/optim/adam.hpp"

#include <cmath>

namespace attrax::nn {

namespace {

constexpr const char* kExpAvg = "exp_avg";
constexpr const char* kExpAvgSq = "exp_avg_sq";

// The options at step t as the float32 scalars PyTorch's kernels use; the bias corrections are
// computed in double first, as PyTorch does in Python. PyTorch's CPU kernels compute add_ with
// alpha and addcmul_ as one fused multiply-add, so std::fma does here too.
struct AdamCoefficients {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
  float weight_decay;   // λ added to the gradient (Adam); 0 for AdamW
  float decay_factor;   // 1 − lr λ (AdamW); 1 for Adam
  float step_size;      // lr / (1 − β1^t)
  float correction2;    // sqrt(1 − β2^t)
};

AdamCoefficients coefficients(const AdamOptions& o, double lr, std::int64_t t, bool decoupled) {
  const double step = static_cast<double>(t);
  const double correction1 = 1 - std::pow(o.beta1, step);
  const double correction2 = 1 - std::pow(o.beta2, step);
  return {static_cast<float>(o.beta1),
          static_cast<float>(1 - o.beta1),
          static_cast<float>(o.beta2),
          static_cast<float>(1 - o.beta2),
          static_cast<float>(o.eps),
          static_cast<float>(decoupled ? 0.0 : o.weight_decay),
          static_cast<float>(decoupled ? 1 - lr * o.weight_decay : 1.0),
          static_cast<float>(lr / correction1),
          static_cast<float>(std::sqrt(correction2))};
}

// Adam: g ← ∇ + λ p.  AdamW: p ← p (1 − lr λ).  (Each is the identity for the other.)
// m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²
// p ← p − (lr / (1 − β1^t)) m / (sqrt(v) / sqrt(1 − β2^t) + ε)
void adam_update(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                 const AdamCoefficients& c) {
  float* p = param.data<float>();
  float* m = exp_avg.data<float>();
  float* v = exp_avg_sq.data<float>();
  const float* dp = grad.data<float>();
  for (std::int64_t k = 0; k < param.numel(); ++k) {
    const float g = c.weight_decay != 0 ? std::fma(c.weight_decay, p[k], dp[k]) : dp[k];
    p[k] *= c.decay_factor;
    m[k] = std::fma(c.one_minus_beta1, g, m[k] * c.beta1);
    v[k] = std::fma(c.one_minus_beta2 * g, g, v[k] * c.beta2);
    const float denom = std::sqrt(v[k]) / c.correction2 + c.eps;
    p[k] -= (c.step_size * m[k]) / denom;
  }
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled_weight_decay)
    : Optimizer(std::move(params), options.lr), options_(options),
      decoupled_(decoupled_weight_decay), exp_avg_(params_.size()), exp_avg_sq_(params_.size()) {
  const char* owner = decoupled_ ? "AdamW" : "Adam";
  require(options.beta1 >= 0 && options.beta1 < 1, owner, "beta1", "in [0, 1)", options.beta1);
  require(options.beta2 >= 0 && options.beta2 < 1, owner, "beta2", "in [0, 1)", options.beta2);
  require(options.eps > 0, owner, "eps", "> 0", options.eps);
  require(options.weight_decay >= 0, owner, "weight_decay", ">= 0", options.weight_decay);
}

void Adam::step() {
  const AdamCoefficients c = coefficients(options_, lr_, steps_ + 1, decoupled_);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor grad = params_[i].grad();
    if (!grad.defined()) continue;
    if (!exp_avg_[i].defined()) exp_avg_[i] = Tensor::zeros(params_[i].shape());
    if (!exp_avg_sq_[i].defined()) exp_avg_sq_[i] = Tensor::zeros(params_[i].shape());
    adam_update(params_[i], grad, exp_avg_[i], exp_avg_sq_[i], c);
  }
  ++steps_;
}

std::vector<NamedTensor> Adam::state() const {
  std::vector<NamedTensor> state = Optimizer::state();
  append_buffers(state, kExpAvg, exp_avg_);
  append_buffers(state, kExpAvgSq, exp_avg_sq_);
  return state;
}

void Adam::load_state(const std::vector<NamedTensor>& state) {
  const std::int64_t steps = checked_step(state, {kExpAvg, kExpAvgSq});
  std::vector<Tensor> exp_avg = restored_buffers(state, kExpAvg);
  std::vector<Tensor> exp_avg_sq = restored_buffers(state, kExpAvgSq);
  // m and v of a parameter exist together (both are created by its first update).
  for (std::size_t i = 0; i < exp_avg.size(); ++i)
    if (exp_avg[i].defined() != exp_avg_sq[i].defined())
      throw ValueError("Adam: load_state has only one of '" + std::to_string(i) + "." + kExpAvg +
                       "' and '" + std::to_string(i) + "." + kExpAvgSq + "'");
  steps_ = steps;
  exp_avg_ = std::move(exp_avg);
  exp_avg_sq_ = std::move(exp_avg_sq);
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions options)
    : Adam(std::move(params), options, true) {}

}  // namespace attrax::nn
