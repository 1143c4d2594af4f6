#pragma once
// The pre-activation ResNet-(6n+2) of He et al. 2016b ("Identity Mappings"), CIFAR layout, as the
// Flower model of Sarkar et al. (which uses leaky ReLU 0.1: activation "leaky_relu:0.1"):
//   conv1 (3x3, w) - layer1..3 (n PreActBlocks each at w, 2w, 4w; stride 2 entering 2 and 3)
//   - bn - act - global average pool - fc
// PreActBlock: h = act(bn1(x)); out = conv2(act(bn2(conv1(h)))) + shortcut, where shortcut is x, or
// downsample.0 (1x1 conv with the block's stride) applied to h when the shape changes.
#include "engine/random.hpp"
#include "models/classifier.hpp"
#include "nn/nn.hpp"

namespace attrax::models {

class PreActBlock : public nn::Module {
 public:
  PreActBlock(std::int64_t in, std::int64_t out, std::int64_t stride,
              const nn::ActivationSpec& act, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "PreActBlock"; }

 private:
  nn::BatchNorm2d *bn1_, *bn2_;
  nn::Activation *relu1_, *relu2_;
  nn::Conv2d *conv1_, *conv2_;
  nn::Sequential* downsample_ = nullptr;
};

class PreActResNet : public Classifier {
 public:
  PreActResNet(const ModelConfig& config, Generator& gen);
  std::string describe() const override { return "PreActResNet(" + config().summary() + ")"; }

 protected:
  Tensor logits(const Tensor& z) override;

 private:
  nn::Conv2d* conv1_;
  nn::Sequential *layer1_, *layer2_, *layer3_;
  nn::BatchNorm2d* bn_;
  nn::Activation* relu_;
  nn::GlobalAvgPool2d* avgpool_;
  nn::Linear* fc_;
};

}  // namespace attrax::models
