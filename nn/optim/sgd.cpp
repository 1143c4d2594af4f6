#include "nn/optim/sgd.hpp"

#include <cmath>

namespace attrax::nn {

namespace {

constexpr const char* kMomentumBuffer = "momentum_buffer";

// The options as the float32 scalars PyTorch's kernels multiply by. PyTorch's CPU kernels compute
// every `a + α b` (add_ with alpha) as one fused multiply-add, so std::fma does here too.
struct SgdCoefficients {
  float lr, momentum, undamped, weight_decay;  // undamped = 1 − τ
  bool nesterov;
};

SgdCoefficients coefficients(const SgdOptions& options, double lr) {
  return {static_cast<float>(lr), static_cast<float>(options.momentum),
          static_cast<float>(1.0 - options.dampening), static_cast<float>(options.weight_decay),
          options.nesterov};
}

// g + λ p, skipped for λ = 0 as PyTorch does.
float with_weight_decay(float g, float p, float weight_decay) {
  return weight_decay != 0 ? std::fma(weight_decay, p, g) : g;
}

// p ← p − lr (g + λ p)
void plain_update(Tensor& param, const Tensor& grad, const SgdCoefficients& c) {
  float* p = param.data<float>();
  const float* g = grad.data<float>();
  for (std::int64_t k = 0; k < param.numel(); ++k) {
    p[k] = std::fma(-c.lr, with_weight_decay(g[k], p[k], c.weight_decay), p[k]);
  }
}

// d ← g + λ p;  b ← d (first step) or b ← μ b + (1 − τ) d;  d ← d + μ b (Nesterov) or b;
// p ← p − lr d
void momentum_update(Tensor& param, const Tensor& grad, Tensor& buffer, const SgdCoefficients& c) {
  const bool first = !buffer.defined();
  if (first) buffer = Tensor::empty(param.shape());
  float* p = param.data<float>();
  float* b = buffer.data<float>();
  const float* g = grad.data<float>();
  for (std::int64_t k = 0; k < param.numel(); ++k) {
    const float d = with_weight_decay(g[k], p[k], c.weight_decay);
    b[k] = first ? d : std::fma(c.undamped, d, b[k] * c.momentum);
    p[k] = std::fma(-c.lr, c.nesterov ? std::fma(c.momentum, b[k], d) : b[k], p[k]);
  }
}

}  // namespace

Sgd::Sgd(std::vector<Tensor> params, const SgdOptions& options)
    : Optimizer(std::move(params), options.lr), options_(options),
      momentum_buffers_(params_.size()) {
  require(options.momentum >= 0, "Sgd", "momentum", ">= 0", options.momentum);
  require(options.weight_decay >= 0, "Sgd", "weight_decay", ">= 0", options.weight_decay);
  if (options.nesterov) {
    require(options.momentum > 0, "Sgd", "momentum", "> 0 for nesterov", options.momentum);
    require(options.dampening == 0, "Sgd", "dampening", "0 for nesterov", options.dampening);
  }
}

void Sgd::step() {
  const SgdCoefficients c = coefficients(options_, lr_);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor grad = params_[i].grad();
    if (!grad.defined()) continue;
    if (options_.momentum != 0) {
      momentum_update(params_[i], grad, momentum_buffers_[i], c);
    } else {
      plain_update(params_[i], grad, c);
    }
  }
  ++steps_;
}

std::vector<NamedTensor> Sgd::state() const {
  std::vector<NamedTensor> state = Optimizer::state();
  append_buffers(state, kMomentumBuffer, momentum_buffers_);
  return state;
}

void Sgd::load_state(const std::vector<NamedTensor>& state) {
  steps_ = checked_step(state, {kMomentumBuffer});
  momentum_buffers_ = restored_buffers(state, kMomentumBuffer);
}

}  // namespace attrax::nn
