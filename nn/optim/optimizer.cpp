#include "nn/optim/optimizer.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <sstream>

#include "engine/error.hpp"

namespace attrax::nn {

namespace {

// A state entry named "<index>.<buffer>".
struct BufferName {
  std::size_t index;
  std::string buffer;
};

// "3.exp_avg" -> {3, "exp_avg"}; nullopt for names of another form.
std::optional<BufferName> parse_buffer_name(const std::string& name) {
  const std::size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos) return std::nullopt;
  std::size_t index = 0;
  const char* digits_end = name.data() + dot;
  const auto [end, error] = std::from_chars(name.data(), digits_end, index);
  if (error != std::errc() || end != digits_end) return std::nullopt;
  return BufferName{index, name.substr(dot + 1)};
}

ValueError entry_error(const std::string& name, const std::string& problem) {
  return ValueError("Optimizer::load_state: entry '" + name + "' " + problem);
}

std::string describe(const Tensor& t) {
  return t.shape().str() + " " + dtype_name(t.dtype());
}

// An entry "<i>.<buffer>" must name a parameter and one of `buffers`, and match the parameter's
// shape and dtype.
void check_buffer_entry(const NamedTensor& entry, const std::vector<Tensor>& params,
                        const std::vector<std::string>& buffers) {
  const std::optional<BufferName> parsed = parse_buffer_name(entry.name);
  if (!parsed || parsed->index >= params.size() ||
      std::find(buffers.begin(), buffers.end(), parsed->buffer) == buffers.end()) {
    std::string expected = "'step'";
    for (const std::string& buffer : buffers) expected += ", '<i>." + buffer + "'";
    throw entry_error(entry.name, "is unexpected: this optimizer over " +
                                      std::to_string(params.size()) + " parameters expects " +
                                      expected);
  }
  const Tensor& param = params[parsed->index];
  if (!(entry.tensor.shape() == param.shape()) || entry.tensor.dtype() != param.dtype()) {
    throw entry_error(entry.name, "is " + describe(entry.tensor) + " but parameter " +
                                      std::to_string(parsed->index) + " is " + describe(param));
  }
}

std::int64_t step_value(const Tensor& step) {
  if (step.rank() != 0 || step.dtype() != DType::Int64) {
    throw entry_error("step", "must be an int64 scalar, got " + describe(step));
  }
  const std::int64_t value = *step.data<std::int64_t>();
  if (value < 0) throw entry_error("step", "must be >= 0, got " + std::to_string(value));
  return value;
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(0) {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].defined()) {
      throw ValueError("Optimizer: parameter " + std::to_string(i) + " is undefined");
    }
    if (params_[i].dtype() != DType::Float32) {
      throw DTypeError("Optimizer: parameter " + std::to_string(i) + " is " +
                       dtype_name(params_[i].dtype()) + "; optimizers update float32 only");
    }
  }
  set_lr(lr);
}

void Optimizer::zero_grad() {
  for (Tensor& param : params_) param.zero_grad();
}

void Optimizer::set_lr(double lr) {
  require(lr >= 0, "Optimizer", "lr", ">= 0", lr);
  lr_ = lr;
}

std::vector<NamedTensor> Optimizer::state() const {
  return {{"step", Tensor::from_data(std::vector<std::int64_t>{steps_}, Shape{})}};
}

void Optimizer::load_state(const std::vector<NamedTensor>& state) {
  steps_ = checked_step(state, {});
}

void Optimizer::require(bool ok, const char* owner, const char* option, const char* rule,
                        double value) {
  if (ok) return;
  std::ostringstream message;
  message << owner << ": " << option << " must be " << rule << ", got " << value;
  throw ValueError(message.str());
}

void Optimizer::append_buffers(std::vector<NamedTensor>& state, const std::string& buffer,
                               const std::vector<Tensor>& slots) {
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].defined()) state.push_back({std::to_string(i) + "." + buffer, slots[i].clone()});
  }
}

std::int64_t Optimizer::checked_step(const std::vector<NamedTensor>& state,
                                     const std::vector<std::string>& buffers) const {
  std::set<std::string> seen;
  const Tensor* step = nullptr;
  for (const NamedTensor& entry : state) {
    if (!seen.insert(entry.name).second) throw entry_error(entry.name, "appears twice");
    if (!entry.tensor.defined()) throw entry_error(entry.name, "is an undefined tensor");
    if (entry.name == "step") {
      step = &entry.tensor;
    } else {
      check_buffer_entry(entry, params_, buffers);
    }
  }
  if (step == nullptr) throw entry_error("step", "is missing");
  return step_value(*step);
}

std::vector<Tensor> Optimizer::restored_buffers(const std::vector<NamedTensor>& state,
                                                const std::string& buffer) const {
  std::vector<Tensor> slots(params_.size());
  for (const NamedTensor& entry : state) {
    const std::optional<BufferName> parsed = parse_buffer_name(entry.name);
    if (parsed && parsed->buffer == buffer) slots[parsed->index] = entry.tensor.clone();
  }
  return slots;
}

}  // namespace attrax::nn
