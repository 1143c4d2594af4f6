#pragma once
// Sequential (children named "0", "1", ..., as torch.nn.Sequential) and Identity.
#include <memory>

#include "nn/module.hpp"

namespace attrax::nn {

class Sequential : public Module {
 public:
  // Appends a layer named by its position and returns it.
  template <class M>
  M& append(std::unique_ptr<M> layer) {
    return register_module(std::to_string(size_++), std::move(layer));
  }
  // Runs the layers in order (through operator(), so their hooks run).
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Sequential(" + std::to_string(size_) + ")"; }
  std::int64_t size() const { return size_; }
  Module& operator[](std::int64_t index);

 private:
  std::int64_t size_ = 0;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string describe() const override { return "Identity()"; }
};

}  // namespace attrax::nn
