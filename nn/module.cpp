#include "nn/module.hpp"

#include <cstring>
#include <map>

#include "engine/error.hpp"

namespace attrax::nn {

namespace {

std::string join_path(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  return name.empty() ? prefix : prefix + "." + name;
}

bool has_suffix(const std::string& name, const std::string& suffix) {
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<NamedTensor> as_named(const std::vector<std::pair<std::string, Tensor*>>& slots) {
  std::vector<NamedTensor> out;
  out.reserve(slots.size());
  for (const auto& [name, tensor] : slots) out.push_back({name, *tensor});
  return out;
}

void check_fits(const std::string& name, const Tensor& source, const Tensor& target) {
  if (source.shape() != target.shape() || source.dtype() != target.dtype()) {
    throw ValueError("load_state_dict: '" + name + "' has shape " + source.shape().str() + " " +
                     dtype_name(source.dtype()) + " but the model expects " +
                     target.shape().str() + " " + dtype_name(target.dtype()));
  }
}

void copy_values(const Tensor& source, Tensor& target) {
  const std::size_t bytes = std::size_t(source.numel()) * dtype_size(source.dtype());
  if (bytes > 0) std::memcpy(target.impl()->storage->data(), source.impl()->storage->data(), bytes);
}

}  // namespace

Tensor Module::operator()(const Tensor& x) {
  Tensor y = forward(x);
  return hook_ ? hook_(y) : y;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::register_parameter(std::string name, Tensor* parameter) {
  parameters_.push_back({std::move(name), parameter, true});
}

void Module::register_buffer(std::string name, Tensor* buffer, bool persistent) {
  buffers_.push_back({std::move(name), buffer, persistent});
}

void Module::collect(const std::string& prefix, bool parameters, bool buffers,
                     bool persistent_only, std::vector<std::pair<std::string, Tensor*>>& out) const {
  if (parameters)
    for (const Registered& p : parameters_) out.emplace_back(join_path(prefix, p.name), p.tensor);
  if (buffers)
    for (const Registered& b : buffers_)
      if (b.persistent || !persistent_only) out.emplace_back(join_path(prefix, b.name), b.tensor);
  for (const auto& [name, child] : children_)
    child->collect(join_path(prefix, name), parameters, buffers, persistent_only, out);
}

std::vector<std::pair<std::string, Tensor*>> Module::tensor_slots(bool persistent_only) const {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", true, true, persistent_only, slots);
  return slots;
}

std::vector<NamedTensor> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", true, false, true, slots);
  return as_named(slots);
}

std::vector<NamedTensor> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", false, true, false, slots);  // every buffer, as torch: only state_dict drops some
  return as_named(slots);
}

std::vector<NamedTensor> Module::state_dict() const { return as_named(tensor_slots(true)); }

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (const NamedTensor& p : named_parameters()) out.push_back(p.tensor);
  return out;
}

std::int64_t Module::parameter_count() const {
  std::int64_t count = 0;
  for (const NamedTensor& p : named_parameters()) count += p.tensor.numel();
  return count;
}

void Module::load_state_dict(const std::vector<NamedTensor>& entries,
                             const std::vector<std::string>& optional_suffixes) {
  std::map<std::string, const Tensor*> given;
  for (const NamedTensor& entry : entries) {
    if (!given.emplace(entry.name, &entry.tensor).second)
      throw ValueError("load_state_dict: '" + entry.name + "' appears twice");
  }
  const auto slots = tensor_slots(true);
  for (const auto& [name, tensor] : slots) {
    if (given.count(name)) continue;
    bool optional = false;
    for (const std::string& suffix : optional_suffixes) optional |= has_suffix(name, suffix);
    if (!optional) throw ValueError("load_state_dict: missing '" + name + "'");
  }
  std::map<std::string, Tensor*> expected(slots.begin(), slots.end());
  for (const auto& [name, tensor] : given) {
    auto it = expected.find(name);
    if (it == expected.end())
      throw ValueError("load_state_dict: unexpected '" + name + "' (no such tensor in the model)");
  }
  // Every entry is checked before any is copied, so a rejected state_dict changes nothing.
  for (const auto& [name, tensor] : given) check_fits(name, *tensor, *expected.at(name));
  for (const auto& [name, tensor] : given) copy_values(*tensor, *expected.at(name));
}

void Module::share_tensors_with(const Module& other) {
  const auto mine = tensor_slots(false);
  const auto theirs = other.tensor_slots(false);
  if (mine.size() != theirs.size())
    throw ValueError("share_tensors_with: the modules hold " + std::to_string(mine.size()) +
                     " and " + std::to_string(theirs.size()) + " tensors");
  for (std::size_t i = 0; i < mine.size(); ++i) {
    if (mine[i].first != theirs[i].first || mine[i].second->shape() != theirs[i].second->shape())
      throw ValueError("share_tensors_with: '" + mine[i].first + "' " +
                       mine[i].second->shape().str() + " does not match '" + theirs[i].first +
                       "' " + theirs[i].second->shape().str());
  }
  for (std::size_t i = 0; i < mine.size(); ++i) *mine[i].second = *theirs[i].second;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out = {{"", this}};
  for (auto& [name, child] : children_)
    for (auto& [path, module] : child->named_modules())
      out.emplace_back(join_path(name, path), module);
  return out;
}

Module& Module::module_at(const std::string& path) {
  std::string valid;
  for (auto& [name, module] : named_modules()) {
    if (name == path) return *module;
    if (!name.empty()) valid += (valid.empty() ? "" : ", ") + name;
  }
  throw ValueError("no module at '" + path + "'; the model has: " + valid);
}

}  // namespace attrax::nn
