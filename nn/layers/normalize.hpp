#pragma once
// Normalize(mean, std) as the first layer of a model: y[:, c] = (x[:, c] − mean[c]) / std[c], so the
// model takes [0, 1] pixels and attacks and attributions work in pixel space. mean and std are
// non-persistent buffers: they live in the model file's metadata, not in its state_dict (as
// torchvision transforms, which are not part of a PyTorch model's weights).
#include <vector>

#include "nn/module.hpp"

namespace attrax::nn {

class Normalize : public Module {
 public:
  // One value per channel; ValueError for different lengths, an empty list, or std <= 0.
  Normalize(const std::vector<double>& mean, const std::vector<double>& std);
  // x: [N, C, H, W] with C = mean.size()
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  const std::vector<double>& mean_values() const { return mean_values_; }
  const std::vector<double>& std_values() const { return std_values_; }

 private:
  std::vector<double> mean_values_, std_values_;
  Tensor mean_, inv_std_;  // [1, C, 1, 1]
};

}  // namespace attrax::nn
