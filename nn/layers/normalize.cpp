#include "nn/layers/normalize.hpp"

#include <sstream>

#include "engine/error.hpp"
#include "engine/ops/elementwise.hpp"

namespace attrax::nn {

namespace {

std::string list(const std::vector<double>& values) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

}  // namespace

Normalize::Normalize(const std::vector<double>& mean, const std::vector<double>& std)
    : mean_values_(mean), std_values_(std) {
  if (mean.empty() || mean.size() != std.size())
    throw ValueError("Normalize: mean " + list(mean) + " and std " + list(std) +
                     " need one value per channel");
  const auto channels = std::int64_t(mean.size());
  mean_ = Tensor::empty({1, channels, 1, 1});
  inv_std_ = Tensor::empty({1, channels, 1, 1});
  for (std::int64_t c = 0; c < channels; ++c) {
    if (!(std[std::size_t(c)] > 0)) throw ValueError("Normalize: std must be > 0, got " + list(std));
    mean_.data<float>()[c] = float(mean[std::size_t(c)]);
    inv_std_.data<float>()[c] = float(1.0 / std[std::size_t(c)]);
  }
  register_buffer("mean", &mean_, false);
  register_buffer("inv_std", &inv_std_, false);
}

Tensor Normalize::forward(const Tensor& x) {
  if (x.rank() != 4 || x.size(1) != mean_.size(1))
    throw ShapeError("Normalize: expects [N, " + std::to_string(mean_.size(1)) +
                     ", H, W] images, got " + x.shape().str());
  return (x - mean_) * inv_std_;
}

std::string Normalize::describe() const {
  return "Normalize(mean=" + list(mean_values_) + ", std=" + list(std_values_) + ")";
}

}  // namespace attrax::nn
