#include "nn/layers/batch_norm2d.hpp"

#include <string>

#include "engine/error.hpp"
#include "engine/ops/normalization.hpp"

namespace attrax::nn {

BatchNorm2d::BatchNorm2d(std::int64_t channels, double eps, double momentum)
    : eps_(eps), momentum_(momentum) {
  if (channels < 1) throw ValueError("BatchNorm2d: channels must be >= 1, got " +
                                     std::to_string(channels));
  weight = Tensor::ones({channels}).requires_grad_();
  bias = Tensor::zeros({channels}).requires_grad_();
  running_mean = Tensor::zeros({channels});
  running_var = Tensor::ones({channels});
  num_batches_tracked = Tensor::zeros({}, DType::Int64);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
  register_buffer("num_batches_tracked", &num_batches_tracked);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (is_training()) num_batches_tracked.data<std::int64_t>()[0] += 1;
  return batch_norm(x, weight, bias, running_mean, running_var,
                    {.training = is_training(), .momentum = momentum_, .eps = eps_});
}

Tensor BatchNorm2d::forward_relu(const Tensor& x, const Tensor& residual) {
  if (is_training()) num_batches_tracked.data<std::int64_t>()[0] += 1;
  return batch_norm_relu(x, weight, bias, running_mean, running_var,
                         {.training = is_training(), .momentum = momentum_, .eps = eps_}, residual);
}

std::string BatchNorm2d::describe() const {
  return "BatchNorm2d(" + std::to_string(weight.size(0)) + ")";
}

}  // namespace attrax::nn
