#pragma once
// Module: the base of every layer and model, as torch.nn.Module. A module owns tensors registered
// by name — parameters (leaves that require grad, updated by optimizers) and buffers (state such as
// batch-norm running statistics) — and child modules, so every tensor has a dotted state_dict name
// ("layer2.0.downsample.1.running_var") and every module a path ("layer3.0.conv2") that attribution
// code can target. Modules are not copyable: registrations point at the owning module's members.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"
#include "nn/io/safetensors.hpp"

namespace attrax::nn {

class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // The module's computation; call modules through operator(), which also runs the forward hook.
  virtual Tensor forward(const Tensor& x) = 0;
  // forward(x), then the output replaced by hook(output) when a forward hook is set.
  Tensor operator()(const Tensor& x);

  // A function applied to this module's output on every call (nullptr removes it): it may record
  // the activation or return a substitute, as a PyTorch forward hook that returns a value.
  using ForwardHook = std::function<Tensor(const Tensor&)>;
  void set_forward_hook(ForwardHook hook) { hook_ = std::move(hook); }
  bool has_forward_hook() const { return bool(hook_); }

  // A short description of the module, as PyTorch's repr: "Conv2d(16, 32, kernel_size=3, stride=2)".
  virtual std::string describe() const = 0;

  // ---- mode ----
  // Training mode (batch statistics in batch norm) for this module and every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // ---- tensors by name ----
  // Parameters, then buffers, of this module and then of each child in registration order, named
  // "<child path>.<name>" (PyTorch's state_dict order). Buffers registered as non-persistent are left
  // out of state_dict().
  std::vector<NamedTensor> named_parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  std::vector<NamedTensor> state_dict() const;
  std::vector<Tensor> parameters() const;
  std::int64_t parameter_count() const;

  // Copies each entry's values into the tensor of the same name. Throws ValueError naming the entry
  // for a missing tensor (unless its name ends with one of `optional_suffixes`, such as
  // "num_batches_tracked"), an unexpected name, or a shape or dtype that differs; nothing is copied
  // unless every entry fits.
  void load_state_dict(const std::vector<NamedTensor>& entries,
                       const std::vector<std::string>& optional_suffixes = {});

  // Makes this module's parameters and buffers the very tensors of `other` (same architecture, same
  // names): a twin that shares weights, e.g. the softplus twin of a ReLU model. Throws ValueError
  // when the names or shapes differ.
  void share_tensors_with(const Module& other);

  // ---- modules by path ----
  // This module ("") and every descendant, depth first in registration order.
  std::vector<std::pair<std::string, Module*>> named_modules();
  // The descendant at a dotted path ("layer3.0.conv2"); ValueError listing valid paths if none.
  Module& module_at(const std::string& path);

 protected:
  // Registers a member tensor; the module keeps a pointer to it, so the member must outlive the
  // module's use (it is a member of the module itself).
  void register_parameter(std::string name, Tensor* parameter);
  void register_buffer(std::string name, Tensor* buffer, bool persistent = true);
  // Registers a child owned by this module and returns it.
  template <class M>
  M& register_module(std::string name, std::unique_ptr<M> child) {
    M& ref = *child;
    children_.emplace_back(std::move(name), std::move(child));
    return ref;
  }

 private:
  struct Registered {
    std::string name;
    Tensor* tensor;
    bool persistent;
  };
  void collect(const std::string& prefix, bool parameters, bool buffers, bool persistent_only,
               std::vector<std::pair<std::string, Tensor*>>& out) const;
  std::vector<std::pair<std::string, Tensor*>> tensor_slots(bool persistent_only) const;

  std::vector<Registered> parameters_, buffers_;
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
  ForwardHook hook_;
  bool training_ = true;
};

}  // namespace attrax::nn
