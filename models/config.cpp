#include "models/config.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "nn/layers/activation.hpp"

namespace attrax::models {

namespace {

bool is_resnet(const std::string& arch) { return arch == "resnet" || arch == "preact_resnet"; }

// Sizes are checked against limits far beyond any model attrax trains, so that a hostile model
// file cannot ask for an unbounded allocation.
void require_in_range(const char* field, std::int64_t value, std::int64_t limit) {
  if (value < 1 || value > limit)
    throw ValueError(std::string("model config: ") + field + " must be in [1, " +
                     std::to_string(limit) + "], got " + std::to_string(value));
}

// An integer field: nlohmann would silently truncate 8.5 to 8.
void read_integer(const nlohmann::json& j, const char* key, std::int64_t& field) {
  if (!j.contains(key)) return;
  if (!j.at(key).is_number_integer())
    throw ValueError(std::string("model config: \"") + key +
                     "\" has the wrong type: it must be an integer, got " + j.at(key).dump());
  field = j.at(key).get<std::int64_t>();
}

}  // namespace

void ModelConfig::validate() const {
  if (arch != "resnet" && arch != "preact_resnet" && arch != "rar_cnn" && arch != "mlp")
    throw ValueError("model config: unknown arch '" + arch +
                     "'; expected resnet, preact_resnet, rar_cnn or mlp");
  require_in_range("depth", depth, 1000);
  require_in_range("width", width, 4096);
  require_in_range("in_channels", in_channels, 64);
  require_in_range("num_classes", num_classes, 100000);
  require_in_range("input_size", input_size, 4096);
  if (is_resnet(arch) && (depth < 8 || (depth - 2) % 6 != 0))
    throw ValueError("model config: " + arch + " depth must be 6n + 2 (8, 14, 20, 32, 44, 56), got " +
                     std::to_string(depth));
  if (arch == "rar_cnn" && input_size < 4)
    throw ValueError("model config: rar_cnn needs input_size >= 4, got " +
                     std::to_string(input_size));
  if (std::int64_t(mean.size()) != in_channels || std::int64_t(std.size()) != in_channels)
    throw ValueError("model config: mean and std need in_channels = " +
                     std::to_string(in_channels) + " values each");
  for (std::size_t c = 0; c < mean.size(); ++c) {
    if (!std::isfinite(mean[c]))
      throw ValueError("model config: mean values must be finite numbers");
    if (!std::isfinite(this->std[c]) || !(this->std[c] > 0))
      throw ValueError("model config: std values must be finite and > 0, got " +
                       std::to_string(this->std[c]));
  }
  nn::ActivationSpec::parse(activation);
}

std::string ModelConfig::summary() const {
  const std::string name = arch == "rar_cnn" || arch == "mlp" ? arch : arch + std::to_string(depth);
  return name + " (" + std::to_string(width) + " wide, " + std::to_string(in_channels) + "x" +
         std::to_string(input_size) + "x" + std::to_string(input_size) + " -> " +
         std::to_string(num_classes) + " classes, " + activation + ")";
}

void to_json(nlohmann::json& j, const ModelConfig& c) {
  j = {{"arch", c.arch},         {"depth", c.depth},           {"width", c.width},
       {"in_channels", c.in_channels}, {"num_classes", c.num_classes},
       {"input_size", c.input_size},   {"activation", c.activation},
       {"mean", c.mean},         {"std", c.std}};
}

void from_json(const nlohmann::json& j, ModelConfig& c) {
  if (!j.is_object() || !j.contains("arch"))
    throw ValueError("model config: expected a JSON object with at least \"arch\"");
  try {
    j.at("arch").get_to(c.arch);
    const auto read = [&](const char* key, auto& field) {
      if (j.contains(key)) j.at(key).get_to(field);
    };
    read_integer(j, "depth", c.depth);
    read_integer(j, "width", c.width);
    read_integer(j, "in_channels", c.in_channels);
    read_integer(j, "num_classes", c.num_classes);
    read_integer(j, "input_size", c.input_size);
    read("activation", c.activation);
    read("mean", c.mean);
    read("std", c.std);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("model config: a field has the wrong type (") + e.what() + ")");
  }
}

}  // namespace attrax::models
