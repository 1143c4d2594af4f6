#include "models/registry.hpp"

#include "engine/error.hpp"
#include "models/preact_resnet.hpp"
#include "models/resnet.hpp"
#include "models/small_nets.hpp"

namespace attrax::models {

namespace {

constexpr std::int64_t kResNetDepths[] = {8, 14, 20, 32, 44, 56};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const char* family : {"resnet", "preact_resnet"})
    for (std::int64_t depth : kResNetDepths) names.push_back(family + std::to_string(depth));
  names.push_back("rar_cnn");
  names.push_back("mlp");
  return names;
}

ModelConfig config_for(const std::string& name) {
  ModelConfig config;
  for (const char* family : {"resnet", "preact_resnet"})
    for (std::int64_t depth : kResNetDepths)
      if (name == family + std::to_string(depth)) {
        config.arch = family;
        config.depth = depth;
        return config;
      }
  if (name == "rar_cnn") {
    config.arch = "rar_cnn";
    return config;
  }
  if (name == "mlp") {
    config.arch = "mlp";
    config.depth = 2;
    config.width = 256;
    return config;
  }
  throw ValueError("unknown model '" + name + "'; available: " + joined(model_names()));
}

std::unique_ptr<Classifier> create_model(const ModelConfig& config, std::uint64_t seed) {
  config.validate();
  Generator gen(seed, kInitStream);
  if (config.arch == "resnet") return std::make_unique<ResNet>(config, gen);
  if (config.arch == "preact_resnet") return std::make_unique<PreActResNet>(config, gen);
  if (config.arch == "rar_cnn") return std::make_unique<RarCnn>(config, gen);
  return std::make_unique<Mlp>(config, gen);
}

std::unique_ptr<Classifier> activation_twin(const Classifier& model, const std::string& activation) {
  ModelConfig config = model.config();
  config.activation = activation;
  std::unique_ptr<Classifier> twin = create_model(config);
  twin->share_tensors_with(model);
  twin->train(model.is_training());
  return twin;
}

}  // namespace attrax::models
