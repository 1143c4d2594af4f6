#pragma once
// The CIFAR-style ResNet-(6n+2) of He et al. 2016 (sec. 4.2) with option-B projection shortcuts,
// named as torchvision's ResNet so state_dicts match PyTorch's:
//   conv1 (3x3, w) - bn1 - relu - layer1 (n blocks, w) - layer2 (n, 2w, stride 2)
//   - layer3 (n, 4w, stride 2) - global average pool - fc
// BasicBlock: out = act(bn2(conv2(act(bn1(conv1(x))))) + shortcut(x)), where shortcut is x, or
// downsample = Sequential(1x1 conv with the block's stride, BatchNorm2d) when the shape changes.
// Initialisation as torchvision: convolutions kaiming_normal_(fan_out), batch norm γ = 1, β = 0,
// fc PyTorch's default.
#include "engine/random.hpp"
#include "models/classifier.hpp"
#include "nn/nn.hpp"

namespace attrax::models {

class BasicBlock : public nn::Module {
 public:
  BasicBlock(std::int64_t in, std::int64_t out, std::int64_t stride, const nn::ActivationSpec& act,
             Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "BasicBlock"; }

 private:
  // x, or downsample(x): its 1x1 convolution and batch norm
  Tensor shortcut(const Tensor& x);

  nn::Conv2d *conv1_, *conv2_;
  nn::BatchNorm2d *bn1_, *bn2_;
  nn::Activation *relu1_, *relu2_;
  nn::Sequential* downsample_ = nullptr;
  nn::Conv2d* down_conv_ = nullptr;
  nn::BatchNorm2d* down_bn_ = nullptr;
};

class ResNet : public Classifier {
 public:
  ResNet(const ModelConfig& config, Generator& gen);
  std::string describe() const override { return "ResNet(" + config().summary() + ")"; }

 protected:
  Tensor logits(const Tensor& z) override;

 private:
  nn::Conv2d* conv1_;
  nn::BatchNorm2d* bn1_;
  nn::Activation* relu_;
  nn::Sequential *layer1_, *layer2_, *layer3_;
  nn::GlobalAvgPool2d* avgpool_;
  nn::Linear* fc_;
};

// Conv2dSpec of a bias-free k x k convolution with "same" padding for odd k.
nn::Conv2dSpec conv_spec(std::int64_t in, std::int64_t out, std::int64_t kernel,
                         std::int64_t stride);
// Re-initialises every Conv2d under `root` with kaiming_normal_(fan_out), as torchvision's ResNets.
void kaiming_normal_convolutions(nn::Module& root, Generator& gen);

}  // namespace attrax::models
