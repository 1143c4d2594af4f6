#include "nn/layers/containers.hpp"

#include "engine/error.hpp"

namespace attrax::nn {

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (std::int64_t i = 0; i < size_; ++i) y = (*this)[i](y);
  return y;
}

Module& Sequential::operator[](std::int64_t index) {
  if (index < 0 || index >= size_)
    throw IndexError("Sequential: index " + std::to_string(index) + " outside [0, " +
                     std::to_string(size_) + ")");
  return module_at(std::to_string(index));
}

}  // namespace attrax::nn
