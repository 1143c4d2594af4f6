#pragma once
// The CIFAR-style ResNet-(6n+2) of He et al. 2016, sec. 4.2, as torch_ref.py's ResNet and BasicBlock
// (same names and structure), written with engine ops: parameters are leaf tensors that require
// grad, batch-norm running statistics are plain tensors. The benchmark's model until models/ exists.
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/attrax.hpp"

namespace attrax::bench {

// BatchNorm2d(C): gamma = 1 and beta = 0 (learned), running mean 0 and variance 1, momentum 0.1.
struct BatchNorm {
  explicit BatchNorm(std::int64_t channels);
  // x: [N,C,H,W] -> [N,C,H,W]; training uses batch statistics and updates the running ones.
  Tensor forward(const Tensor& x, bool training) const;

  Tensor gamma, beta, running_mean, running_var;
};

// out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), conv1 3x3 with `stride`, conv2 3x3;
// shortcut(x) = x, or downsample = BN(1x1 conv with `stride`)(x) when stride != 1 or cin != cout
// (option B of the paper).
struct BasicBlock {
  BasicBlock(std::int64_t cin, std::int64_t cout, std::int64_t stride, Generator& gen);
  // x: [N,cin,H,W] -> [N,cout,H/stride,W/stride]
  Tensor forward(const Tensor& x, bool training) const;
  std::vector<Tensor> parameters() const;

  struct Downsample {
    Tensor conv;  // [cout,cin,1,1]
    BatchNorm bn;
  };
  std::int64_t stride;
  Tensor conv1;  // [cout,cin,3,3]
  BatchNorm bn1;
  Tensor conv2;  // [cout,cout,3,3]
  BatchNorm bn2;
  std::optional<Downsample> downsample;
};

// conv1 3x3 (in -> w) + bn1 + relu, then layer1, layer2, layer3 of n BasicBlocks each at widths
// w, 2w, 4w (the first block of layer2 and layer3 has stride 2), then fc(mean over H, W).
// Convolutions are He-initialised, w ~ N(0, 2 / fan_in); fc is w ~ N(0, 1 / in), bias 0.
struct ResNet {
  // depth = 6n + 2: 8 -> n = 1, 20 -> n = 3.
  ResNet(int depth, Generator& gen, std::int64_t width = 16, std::int64_t in_channels = 1,
         std::int64_t num_classes = 10);

  // x: [N,in,H,W] -> logits [N,classes]
  Tensor forward(const Tensor& x, bool training) const { return head(features(x, training)); }
  // x: [N,in,H,W] -> a: [N,4w,H/4,W/4], the activation after layer3 (what Grad-CAM weighs)
  Tensor features(const Tensor& x, bool training) const;
  // a: [N,4w,h,w] -> logits [N,classes] = fc(mean of a over h, w)
  Tensor head(const Tensor& a) const;
  // Every learned tensor, for the optimizer.
  std::vector<Tensor> parameters() const;

  Tensor conv1;  // [w,in,3,3]
  BatchNorm bn1;
  std::vector<BasicBlock> layer1, layer2, layer3;
  Tensor fc_weight, fc_bias;  // [classes,4w], [classes]
};

// SGD with momentum, as torch.optim.SGD: v ← μ v + ∇p;  p ← p − lr v (parameters without a
// gradient are skipped).
class Sgd {
 public:
  Sgd(std::vector<Tensor> params, double lr, double momentum);
  void zero_grad();
  void step();

 private:
  std::vector<Tensor> params_, velocity_;
  double lr_, momentum_;
};

}  // namespace attrax::bench
