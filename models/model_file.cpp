#include "models/model_file.hpp"

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "models/registry.hpp"
#include "nn/io/safetensors.hpp"

namespace attrax::models {

namespace {

constexpr const char* kOptimizerPrefix = "optimizer.";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

ModelConfig config_from_metadata(const std::string& path,
                                 const std::map<std::string, std::string>& metadata) {
  const auto it = metadata.find("attrax");
  if (it == metadata.end())
    throw FileError(path + ": not an attrax model file (no \"attrax\" entry in __metadata__)");
  try {
    ModelConfig config = nlohmann::json::parse(it->second).get<ModelConfig>();
    config.validate();
    return config;
  } catch (const nlohmann::json::exception& e) {
    throw FileError(path + ": the \"attrax\" metadata is not valid JSON (" + e.what() + ")");
  } catch (const ValueError& e) {
    throw FileError(path + ": " + e.what());
  }
}

}  // namespace

void save_model(const std::string& path, const Classifier& model,
                const std::vector<nn::NamedTensor>& optimizer_state,
                const std::string& train_state) {
  std::vector<nn::NamedTensor> tensors = model.state_dict();
  for (const nn::NamedTensor& entry : optimizer_state)
    tensors.push_back({kOptimizerPrefix + entry.name, entry.tensor});
  std::map<std::string, std::string> metadata = {
      {"attrax", nlohmann::json(model.config()).dump()}};
  if (!train_state.empty()) metadata["attrax_train"] = train_state;
  nn::save_safetensors(path, tensors, metadata);
}

ModelFileContents load_model_file(const std::string& path) {
  nn::SafetensorsContents file = nn::load_safetensors(path);
  ModelFileContents contents;
  contents.model = create_model(config_from_metadata(path, file.metadata));
  std::vector<nn::NamedTensor> weights;
  for (nn::NamedTensor& entry : file.tensors) {
    if (starts_with(entry.name, kOptimizerPrefix))
      contents.optimizer_state.push_back(
          {entry.name.substr(std::string(kOptimizerPrefix).size()), entry.tensor});
    else
      weights.push_back(std::move(entry));
  }
  try {
    contents.model->load_state_dict(weights, {"num_batches_tracked"});
  } catch (const ValueError& e) {
    throw FileError(path + ": " + e.what());
  }
  const auto train = file.metadata.find("attrax_train");
  if (train != file.metadata.end()) contents.train_state = train->second;
  return contents;
}

std::unique_ptr<Classifier> load_model(const std::string& path) {
  return std::move(load_model_file(path).model);
}

}  // namespace attrax::models
