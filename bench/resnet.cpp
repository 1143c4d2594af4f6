#include "bench/resnet.hpp"

#include <cmath>
#include <string>

namespace attrax::bench {

namespace {

// A leaf that requires grad, w ~ N(0, scale²).
Tensor parameter(const Shape& shape, double scale, Generator& gen) {
  Tensor w = Tensor::randn(shape, gen) * scale;
  return w.requires_grad_();
}

// He initialisation of a k x k convolution: w: [cout,cin,k,k] ~ N(0, 2 / (cin k²)).
Tensor conv_weight(std::int64_t cin, std::int64_t cout, std::int64_t k, Generator& gen) {
  return parameter({cout, cin, k, k}, std::sqrt(2.0 / double(cin * k * k)), gen);
}

Conv2dOptions conv_options(std::int64_t stride, std::int64_t padding) {
  return {.stride = {stride, stride}, .padding = {padding, padding}};
}

}  // namespace

BatchNorm::BatchNorm(std::int64_t channels)
    : gamma(Tensor::ones({channels}).requires_grad_()),
      beta(Tensor::zeros({channels}).requires_grad_()),
      running_mean(Tensor::zeros({channels})),
      running_var(Tensor::ones({channels})) {}

Tensor BatchNorm::forward(const Tensor& x, bool training) const {
  return batch_norm(x, gamma, beta, running_mean, running_var, {.training = training});
}

BasicBlock::BasicBlock(std::int64_t cin, std::int64_t cout, std::int64_t stride, Generator& gen)
    : stride(stride),
      conv1(conv_weight(cin, cout, 3, gen)),
      bn1(cout),
      conv2(conv_weight(cout, cout, 3, gen)),
      bn2(cout) {
  if (stride != 1 || cin != cout)
    downsample = Downsample{conv_weight(cin, cout, 1, gen), BatchNorm(cout)};
}

Tensor BasicBlock::forward(const Tensor& x, bool training) const {
  Tensor out = relu(bn1.forward(conv2d(x, conv1, Tensor(), conv_options(stride, 1)), training));
  out = bn2.forward(conv2d(out, conv2, Tensor(), conv_options(1, 1)), training);
  if (!downsample) return relu(out + x);
  const Tensor projected = conv2d(x, downsample->conv, Tensor(), conv_options(stride, 0));
  return relu(out + downsample->bn.forward(projected, training));
}

std::vector<Tensor> BasicBlock::parameters() const {
  std::vector<Tensor> params = {conv1, bn1.gamma, bn1.beta, conv2, bn2.gamma, bn2.beta};
  if (downsample)
    params.insert(params.end(), {downsample->conv, downsample->bn.gamma, downsample->bn.beta});
  return params;
}

ResNet::ResNet(int depth, Generator& gen, std::int64_t width, std::int64_t in_channels,
               std::int64_t num_classes)
    : conv1(conv_weight(in_channels, width, 3, gen)), bn1(width) {
  if (depth < 8 || (depth - 2) % 6 != 0) {
    throw ValueError("ResNet: depth must be 6n + 2 with n >= 1 (8, 14, 20, ...), got " +
                     std::to_string(depth));
  }
  const int n = (depth - 2) / 6;
  std::int64_t channels = width;
  std::vector<BasicBlock>* layers[] = {&layer1, &layer2, &layer3};
  for (int stage = 0; stage < 3; ++stage) {
    const std::int64_t stage_width = width << stage;
    for (int j = 0; j < n; ++j) {
      layers[stage]->emplace_back(channels, stage_width, stage > 0 && j == 0 ? 2 : 1, gen);
      channels = stage_width;
    }
  }
  fc_weight = parameter({num_classes, channels}, std::sqrt(1.0 / double(channels)), gen);
  fc_bias = Tensor::zeros({num_classes}).requires_grad_();
}

Tensor ResNet::features(const Tensor& x, bool training) const {
  Tensor a = relu(bn1.forward(conv2d(x, conv1, Tensor(), conv_options(1, 1)), training));
  for (const auto* layer : {&layer1, &layer2, &layer3})
    for (const BasicBlock& block : *layer) a = block.forward(a, training);
  return a;
}

Tensor ResNet::head(const Tensor& a) const { return linear(mean(a, {2, 3}), fc_weight, fc_bias); }

std::vector<Tensor> ResNet::parameters() const {
  std::vector<Tensor> params = {conv1, bn1.gamma, bn1.beta};
  for (const auto* layer : {&layer1, &layer2, &layer3})
    for (const BasicBlock& block : *layer) {
      const std::vector<Tensor> block_params = block.parameters();
      params.insert(params.end(), block_params.begin(), block_params.end());
    }
  params.insert(params.end(), {fc_weight, fc_bias});
  return params;
}

Sgd::Sgd(std::vector<Tensor> params, double lr, double momentum)
    : params_(std::move(params)), lr_(lr), momentum_(momentum) {
  for (const Tensor& p : params_) velocity_.push_back(Tensor::zeros(p.shape()));
}

void Sgd::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

void Sgd::step() {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    const float* dp = g.data<float>();
    float* v = velocity_[i].data<float>();
    float* p = params_[i].data<float>();
    const float mu = float(momentum_), lr = float(lr_);
    for (std::int64_t k = 0; k < g.numel(); ++k) {
      v[k] = mu * v[k] + dp[k];
      p[k] -= lr * v[k];
    }
  }
}

}  // namespace attrax::bench
