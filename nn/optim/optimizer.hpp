#pragma once
// Optimizers update leaf tensors in place from their accumulated `.grad()`, as torch.optim does.
// Parameters without a gradient are skipped. The state (step count, moment buffers) can be saved and
// restored by name so a resumed training run continues bit for bit.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.hpp"
#include "nn/io/safetensors.hpp"

namespace attrax::nn {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;

  // One update of every parameter that has a gradient; then steps() grows by one.
  virtual void step() = 0;
  // Clears every parameter's gradient.
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  std::int64_t steps() const { return steps_; }
  const std::vector<Tensor>& params() const { return params_; }

  // The state as named tensors: "step" (int64 scalar) and per-parameter buffers named
  // "<i>.<buffer>" (e.g. "3.momentum_buffer", "3.exp_avg"), buffers created lazily on first use.
  virtual std::vector<NamedTensor> state() const;
  // Restores a state() of an optimizer of the same kind over parameters of the same shapes; throws
  // ValueError naming the entry that is missing, unexpected or of the wrong shape.
  virtual void load_state(const std::vector<NamedTensor>& state);

 protected:
  // Throws ValueError "<owner>: <option> must be <rule>, got <value>" unless ok.
  static void require(bool ok, const char* owner, const char* option, const char* rule,
                      double value);
  // Appends the defined slots of one per-parameter buffer to `state` as "<i>.<buffer>" (clones).
  static void append_buffers(std::vector<NamedTensor>& state, const std::string& buffer,
                             const std::vector<Tensor>& slots);
  // Checks that `state` holds "step" (int64 scalar >= 0) and otherwise only "<i>.<buffer>" entries
  // for the given buffer names with parameter i's shape and dtype, each at most once; returns the
  // step. Throws ValueError naming the first offending entry.
  std::int64_t checked_step(const std::vector<NamedTensor>& state,
                            const std::vector<std::string>& buffers) const;
  // One slot per parameter: a clone of the checked state's "<i>.<buffer>", or undefined if absent.
  std::vector<Tensor> restored_buffers(const std::vector<NamedTensor>& state,
                                       const std::string& buffer) const;

  std::vector<Tensor> params_;
  double lr_;
  std::int64_t steps_ = 0;
};

}  // namespace attrax::nn
