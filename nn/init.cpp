#include "nn/init.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "engine/error.hpp"

namespace attrax::nn::init {

std::int64_t fan(const Tensor& weight, Fan mode) {
  if (weight.rank() < 2)
    throw ValueError("init: fan_in/fan_out need a weight of rank >= 2, got shape " +
                     weight.shape().str());
  std::int64_t receptive = 1;
  for (int axis = 2; axis < weight.rank(); ++axis) receptive *= weight.size(axis);
  return (mode == Fan::In ? weight.size(1) : weight.size(0)) * receptive;
}

void uniform_(Tensor& t, double bound, Generator& gen) {
  std::vector<float> u(std::size_t(t.numel()));
  gen.fill_uniform(u.data(), t.numel());
  float* out = t.data<float>();
  for (std::size_t i = 0; i < u.size(); ++i) out[i] = float((2.0 * u[i] - 1.0) * bound);
}

void normal_(Tensor& t, double std, Generator& gen) {
  gen.fill_normal(t.data<float>(), t.numel());
  float* out = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) out[i] = float(out[i] * std);
}

void kaiming_uniform_(Tensor& weight, double a, Fan mode, Generator& gen) {
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  uniform_(weight, gain * std::sqrt(3.0 / double(fan(weight, mode))), gen);
}

void kaiming_normal_(Tensor& weight, Fan mode, Generator& gen) {
  normal_(weight, std::sqrt(2.0 / double(fan(weight, mode))), gen);
}

}  // namespace attrax::nn::init
