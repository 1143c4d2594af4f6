#include "nn/layers/linear.hpp"

#include <cmath>
#include <string>

#include "engine/error.hpp"
#include "engine/ops/linalg.hpp"
#include "nn/init.hpp"

namespace attrax::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, bool bias_on) {
  if (in_features < 1 || out_features < 1)
    throw ValueError("Linear: features must be >= 1, got in " + std::to_string(in_features) +
                     ", out " + std::to_string(out_features));
  weight = Tensor::empty({out_features, in_features});
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::Fan::In, gen);
  weight.requires_grad_();
  register_parameter("weight", &weight);
  if (bias_on) {
    bias = Tensor::empty({out_features});
    init::uniform_(bias, 1.0 / std::sqrt(double(in_features)), gen);
    bias.requires_grad_();
    register_parameter("bias", &bias);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::string Linear::describe() const {
  return "Linear(in_features=" + std::to_string(weight.size(1)) + ", out_features=" +
         std::to_string(weight.size(0)) + ", bias=" + (bias.defined() ? "True" : "False") + ")";
}

}  // namespace attrax::nn
