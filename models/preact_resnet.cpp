#include "models/preact_resnet.hpp"

#include "engine/ops/elementwise.hpp"
#include "models/resnet.hpp"

namespace attrax::models {

PreActBlock::PreActBlock(std::int64_t in, std::int64_t out, std::int64_t stride,
                         const nn::ActivationSpec& act, Generator& gen) {
  bn1_ = &register_module("bn1", std::make_unique<nn::BatchNorm2d>(in));
  relu1_ = &register_module("relu1", std::make_unique<nn::Activation>(act));
  conv1_ = &register_module("conv1", std::make_unique<nn::Conv2d>(conv_spec(in, out, 3, stride), gen));
  bn2_ = &register_module("bn2", std::make_unique<nn::BatchNorm2d>(out));
  relu2_ = &register_module("relu2", std::make_unique<nn::Activation>(act));
  conv2_ = &register_module("conv2", std::make_unique<nn::Conv2d>(conv_spec(out, out, 3, 1), gen));
  if (stride != 1 || in != out) {
    downsample_ = &register_module("downsample", std::make_unique<nn::Sequential>());
    downsample_->append(std::make_unique<nn::Conv2d>(conv_spec(in, out, 1, stride), gen));
  }
}

Tensor PreActBlock::forward(const Tensor& x) {
  const Tensor h = nn::batch_norm_activation(*bn1_, *relu1_, x);
  const Tensor out = (*conv2_)(nn::batch_norm_activation(*bn2_, *relu2_, (*conv1_)(h)));
  return out + (downsample_ ? (*downsample_)(h) : x);
}

PreActResNet::PreActResNet(const ModelConfig& config, Generator& gen) : Classifier(config) {
  const nn::ActivationSpec act = nn::ActivationSpec::parse(config.activation);
  const std::int64_t w = config.width, blocks = (config.depth - 2) / 6;
  conv1_ = &register_module("conv1",
                            std::make_unique<nn::Conv2d>(conv_spec(config.in_channels, w, 3, 1), gen));
  nn::Sequential** layers[] = {&layer1_, &layer2_, &layer3_};
  std::int64_t channels = w;
  for (int stage = 0; stage < 3; ++stage) {
    *layers[stage] = &register_module("layer" + std::to_string(stage + 1),
                                      std::make_unique<nn::Sequential>());
    const std::int64_t stage_width = w << stage;
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t stride = stage > 0 && b == 0 ? 2 : 1;
      (*layers[stage])->append(
          std::make_unique<PreActBlock>(channels, stage_width, stride, act, gen));
      channels = stage_width;
    }
  }
  bn_ = &register_module("bn", std::make_unique<nn::BatchNorm2d>(channels));
  relu_ = &register_module("relu", std::make_unique<nn::Activation>(act));
  avgpool_ = &register_module("avgpool", std::make_unique<nn::GlobalAvgPool2d>());
  fc_ = &register_module("fc", std::make_unique<nn::Linear>(channels, config.num_classes, gen));
  kaiming_normal_convolutions(*this, gen);
}

Tensor PreActResNet::logits(const Tensor& z) {
  Tensor a = (*layer3_)((*layer2_)((*layer1_)((*conv1_)(z))));
  return (*fc_)((*avgpool_)(nn::batch_norm_activation(*bn_, *relu_, a)));
}

}  // namespace attrax::models
