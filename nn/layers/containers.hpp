#pragma once
// Sequential (children named "0", "1", ..., as torch.nn.Sequential) and Identity.
#include <memory>
#include <vector>

#include "nn/module.hpp"

namespace attrax::nn {

class Sequential : public Module {
 public:
  // Appends a layer named by its position and returns it.
  template <class M>
  M& append(std::unique_ptr<M> layer) {
    M& added = register_module(std::to_string(layers_.size()), std::move(layer));
    layers_.push_back(&added);
    return added;
  }
  // Runs the layers in order (through operator(), so their hooks run).
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  std::int64_t size() const { return std::int64_t(layers_.size()); }
  Module& operator[](std::int64_t index);

 private:
  std::vector<Module*> layers_;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string describe() const override { return "Identity()"; }
};

}  // namespace attrax::nn
