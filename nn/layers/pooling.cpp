#include "nn/layers/pooling.hpp"

#include <string>

#include "engine/error.hpp"
#include "engine/ops/shape_ops.hpp"

namespace attrax::nn {

namespace {

std::string describe_pool(const char* layer, const Pool2dOptions& o) {
  return std::string(layer) + "(kernel_size=" + std::to_string(o.kernel[0]) + ", stride=" +
         std::to_string(o.stride[0]) + ", padding=" + std::to_string(o.padding[0]) + ")";
}

}  // namespace

Pool2dOptions square_pool(const char* layer, std::int64_t kernel, std::int64_t stride,
                          std::int64_t padding) {
  if (kernel < 1 || stride < 0 || padding < 0)
    throw ValueError(std::string(layer) + ": kernel must be >= 1 and stride, padding >= 0; got " +
                     std::to_string(kernel) + ", " + std::to_string(stride) + ", " +
                     std::to_string(padding));
  const std::int64_t s = stride == 0 ? kernel : stride;
  return {.kernel = {kernel, kernel}, .stride = {s, s}, .padding = {padding, padding}};
}

MaxPool2d::MaxPool2d(std::int64_t kernel, std::int64_t stride, std::int64_t padding)
    : options_(square_pool("MaxPool2d", kernel, stride, padding)) {}

std::string MaxPool2d::describe() const { return describe_pool("MaxPool2d", options_); }

AvgPool2d::AvgPool2d(std::int64_t kernel, std::int64_t stride, std::int64_t padding)
    : options_(square_pool("AvgPool2d", kernel, stride, padding)) {}

std::string AvgPool2d::describe() const { return describe_pool("AvgPool2d", options_); }

Tensor Flatten::forward(const Tensor& x) { return flatten(x, 1); }

}  // namespace attrax::nn
