#include "nn/layers/containers.hpp"

#include "engine/error.hpp"

namespace attrax::nn {

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (Module* layer : layers_) y = (*layer)(y);
  return y;
}

std::string Sequential::describe() const {
  return "Sequential(" + std::to_string(layers_.size()) + " layers)";
}

Module& Sequential::operator[](std::int64_t index) {
  if (index < 0 || index >= size())
    throw IndexError("Sequential: index " + std::to_string(index) + " outside [0, " +
                     std::to_string(size()) + ")");
  return *layers_[std::size_t(index)];
}

}  // namespace attrax::nn
