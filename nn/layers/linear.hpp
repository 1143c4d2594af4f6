#pragma once
// Linear(in, out, bias) as torch.nn.Linear: y = x Wᵀ + b, W [out, in], b [out];
// W and b ~ U(−1/sqrt(in), 1/sqrt(in)) as PyTorch's default.
#include "engine/random.hpp"
#include "nn/module.hpp"

namespace attrax::nn {

class Linear : public Module {
 public:
  // Throws ValueError for non-positive features.
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, bool bias = true);
  // x: [N, in] -> [N, out]
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Tensor weight, bias;
};

}  // namespace attrax::nn
