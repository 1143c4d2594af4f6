#include "models/resnet.hpp"

#include "engine/ops/elementwise.hpp"

namespace attrax::models {

nn::Conv2dSpec conv_spec(std::int64_t in, std::int64_t out, std::int64_t kernel,
                         std::int64_t stride) {
  return {.in_channels = in, .out_channels = out, .kernel = kernel, .stride = stride,
          .padding = kernel / 2, .bias = false};
}

void kaiming_normal_convolutions(nn::Module& root, Generator& gen) {
  for (auto& [path, module] : root.named_modules())
    if (auto* conv = dynamic_cast<nn::Conv2d*>(module)) {
      nn::init::kaiming_normal_(conv->weight, nn::init::Fan::Out, gen);
    }
}

BasicBlock::BasicBlock(std::int64_t in, std::int64_t out, std::int64_t stride,
                       const nn::ActivationSpec& act, Generator& gen) {
  conv1_ = &register_module("conv1", std::make_unique<nn::Conv2d>(conv_spec(in, out, 3, stride), gen));
  bn1_ = &register_module("bn1", std::make_unique<nn::BatchNorm2d>(out));
  relu1_ = &register_module("relu1", std::make_unique<nn::Activation>(act));
  conv2_ = &register_module("conv2", std::make_unique<nn::Conv2d>(conv_spec(out, out, 3, 1), gen));
  bn2_ = &register_module("bn2", std::make_unique<nn::BatchNorm2d>(out));
  if (stride != 1 || in != out) {
    downsample_ = &register_module("downsample", std::make_unique<nn::Sequential>());
    down_conv_ = &downsample_->append(std::make_unique<nn::Conv2d>(conv_spec(in, out, 1, stride), gen));
    down_bn_ = &downsample_->append(std::make_unique<nn::BatchNorm2d>(out));
  }
  relu2_ = &register_module("relu2", std::make_unique<nn::Activation>(act));
}

// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)): each convolution, its batch norm, the residual
// add and the activation go through nn::conv_batch_norm_activation (one folded convolution in eval
// mode, one fused batch-norm op in training).
Tensor BasicBlock::forward(const Tensor& x) {
  const Tensor h = nn::conv_batch_norm_activation(*conv1_, *bn1_, *relu1_, x);
  const Tensor skip = shortcut(x);
  return nn::conv_batch_norm_activation(*conv2_, *bn2_, *relu2_, h, skip);
}

Tensor BasicBlock::shortcut(const Tensor& x) {
  if (!downsample_) return x;
  if (downsample_->has_forward_hook()) return (*downsample_)(x);
  return nn::conv_batch_norm(*down_conv_, *down_bn_, x);
}

ResNet::ResNet(const ModelConfig& config, Generator& gen) : Classifier(config) {
  const nn::ActivationSpec act = nn::ActivationSpec::parse(config.activation);
  const std::int64_t w = config.width, blocks = (config.depth - 2) / 6;
  conv1_ = &register_module("conv1",
                            std::make_unique<nn::Conv2d>(conv_spec(config.in_channels, w, 3, 1), gen));
  bn1_ = &register_module("bn1", std::make_unique<nn::BatchNorm2d>(w));
  relu_ = &register_module("relu", std::make_unique<nn::Activation>(act));
  nn::Sequential** layers[] = {&layer1_, &layer2_, &layer3_};
  std::int64_t channels = w;
  for (int stage = 0; stage < 3; ++stage) {
    *layers[stage] = &register_module("layer" + std::to_string(stage + 1),
                                      std::make_unique<nn::Sequential>());
    const std::int64_t stage_width = w << stage;
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t stride = stage > 0 && b == 0 ? 2 : 1;
      (*layers[stage])->append(std::make_unique<BasicBlock>(channels, stage_width, stride, act, gen));
      channels = stage_width;
    }
  }
  avgpool_ = &register_module("avgpool", std::make_unique<nn::GlobalAvgPool2d>());
  fc_ = &register_module("fc", std::make_unique<nn::Linear>(channels, config.num_classes, gen));
  kaiming_normal_convolutions(*this, gen);
}

Tensor ResNet::logits(const Tensor& z) {
  Tensor a = nn::conv_batch_norm_activation(*conv1_, *bn1_, *relu_, z);
  a = (*layer3_)((*layer2_)((*layer1_)(a)));
  return (*fc_)((*avgpool_)(a));
}

}  // namespace attrax::models
