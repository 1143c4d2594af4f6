#pragma once
// Conv2d(in, out, kernel, stride, padding, bias) as torch.nn.Conv2d (square kernels, groups).
// Parameters: weight [out, in/groups, k, k], bias [out] (when enabled).
// Default initialisation as PyTorch: weight and bias ~ U(−1/sqrt(fan_in), 1/sqrt(fan_in)).
#include "engine/ops/conv.hpp"
#include "engine/random.hpp"
#include "nn/module.hpp"

namespace attrax::nn {

struct Conv2dSpec {
  std::int64_t in_channels = 1, out_channels = 1, kernel = 3;
  std::int64_t stride = 1, padding = 0, groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  // Throws ValueError for non-positive channels / kernel / stride / groups, negative padding, or
  // channels not divisible by groups.
  Conv2d(const Conv2dSpec& spec, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  const Conv2dSpec& spec() const { return spec_; }
  const Conv2dOptions& options() const { return options_; }
  Tensor weight, bias;

 private:
  Conv2dSpec spec_;
  Conv2dOptions options_;
};

}  // namespace attrax::nn
