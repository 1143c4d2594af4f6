#pragma once
// Pooling and reshaping layers: MaxPool2d and AvgPool2d (square windows, as torch.nn), a global
// average pool [N, C, H, W] -> [N, C] (torch.nn.AdaptiveAvgPool2d(1) followed by flatten), and
// Flatten [N, ...] -> [N, prod(...)].
#include "engine/ops/pool.hpp"
#include "nn/module.hpp"

namespace attrax::nn {

class MaxPool2d : public Module {
 public:
  // stride 0: equal to the kernel, as PyTorch. ValueError for kernel < 1, stride < 0, padding < 0.
  explicit MaxPool2d(std::int64_t kernel, std::int64_t stride = 0, std::int64_t padding = 0);
  Tensor forward(const Tensor& x) override { return max_pool2d(x, options_); }
  std::string describe() const override;

 private:
  Pool2dOptions options_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(std::int64_t kernel, std::int64_t stride = 0, std::int64_t padding = 0);
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, options_); }
  std::string describe() const override;

 private:
  Pool2dOptions options_;
};

class GlobalAvgPool2d : public Module {
 public:
  Tensor forward(const Tensor& x) override { return global_avg_pool2d(x); }
  std::string describe() const override { return "GlobalAvgPool2d()"; }
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Flatten()"; }
};

// Pool2dOptions for a square window; shared by the pooling layers.
Pool2dOptions square_pool(const char* layer, std::int64_t kernel, std::int64_t stride,
                          std::int64_t padding);

}  // namespace attrax::nn
