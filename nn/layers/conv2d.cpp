#include "nn/layers/conv2d.hpp"

#include <cmath>
#include <string>

#include "engine/error.hpp"
#include "nn/init.hpp"

namespace attrax::nn {

namespace {

void validate(const Conv2dSpec& s) {
  if (s.in_channels < 1 || s.out_channels < 1 || s.kernel < 1 || s.stride < 1 || s.groups < 1 ||
      s.padding < 0)
    throw ValueError("Conv2d: channels, kernel, stride and groups must be >= 1 and padding >= 0");
  if (s.in_channels % s.groups != 0 || s.out_channels % s.groups != 0)
    throw ValueError("Conv2d: in_channels " + std::to_string(s.in_channels) + " and out_channels " +
                     std::to_string(s.out_channels) + " must be divisible by groups " +
                     std::to_string(s.groups));
}

}  // namespace

Conv2d::Conv2d(const Conv2dSpec& spec, Generator& gen) : spec_(spec) {
  validate(spec);
  options_ = {.stride = {spec.stride, spec.stride}, .padding = {spec.padding, spec.padding},
              .groups = spec.groups};
  weight = Tensor::empty({spec.out_channels, spec.in_channels / spec.groups, spec.kernel,
                          spec.kernel});
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::Fan::In, gen);
  weight.requires_grad_();
  register_parameter("weight", &weight);
  if (spec.bias) {
    bias = Tensor::empty({spec.out_channels});
    init::uniform_(bias, 1.0 / std::sqrt(double(init::fan(weight, init::Fan::In))), gen);
    bias.requires_grad_();
    register_parameter("bias", &bias);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, options_); }

std::string Conv2d::describe() const {
  std::string s = "Conv2d(" + std::to_string(spec_.in_channels) + ", " +
                  std::to_string(spec_.out_channels) + ", kernel_size=" +
                  std::to_string(spec_.kernel);
  if (spec_.stride != 1) s += ", stride=" + std::to_string(spec_.stride);
  if (spec_.padding != 0) s += ", padding=" + std::to_string(spec_.padding);
  if (spec_.groups != 1) s += ", groups=" + std::to_string(spec_.groups);
  if (!spec_.bias) s += ", bias=False";
  return s + ")";
}

}  // namespace attrax::nn
