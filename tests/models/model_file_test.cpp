// Model files and checkpoints: round trips, the optimizer / train-state split, and hostile files.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"
#include "nn/io/safetensors.hpp"

using namespace attrax;
using namespace attrax::models;
using namespace attrax::models::testing;

namespace {

// A model whose running statistics have moved away from their initial values (one train-mode
// forward), so a file that dropped buffers would give different eval logits.
std::unique_ptr<Classifier> trained_looking_model(const ModelConfig& config, std::uint64_t seed) {
  auto model = create_model(config, seed);
  model->train();
  (*model)(random_images(4, config.in_channels, config.input_size, seed + 100));
  model->eval();
  return model;
}

std::string config_json(const ModelConfig& config) { return nlohmann::json(config).dump(); }

}  // namespace

TEST_CASE("save_model and load_model round trip every architecture") {
  TempDir dir;
  std::vector<ModelConfig> configs = {tiny_resnet()};
  ModelConfig preact = tiny_resnet("leaky_relu:0.1");
  preact.arch = "preact_resnet";
  preact.in_channels = 3;
  preact.mean = {0.1, 0.2, 0.3};
  preact.std = {0.5, 0.6, 0.7};
  configs.push_back(preact);
  ModelConfig rar = tiny_resnet("softplus:5");
  rar.arch = "rar_cnn";
  rar.input_size = 8;
  configs.push_back(rar);
  ModelConfig mlp = tiny_resnet();
  mlp.arch = "mlp";
  mlp.depth = 3;
  mlp.width = 7;
  configs.push_back(mlp);

  for (const ModelConfig& config : configs) {
    CAPTURE(config.summary());
    auto model = trained_looking_model(config, 5);
    const std::string path = dir / (config.arch + ".safetensors");
    save_model(path, *model);
    auto loaded = load_model(path);
    REQUIRE(loaded);
    CHECK(config_json(loaded->config()) == config_json(config));
    CHECK(loaded->describe() == model->describe());

    const auto a = model->state_dict(), b = loaded->state_dict();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].name == b[i].name);
      CHECK_MESSAGE(a[i].tensor.to_vector() == b[i].tensor.to_vector(), a[i].name);
    }
    loaded->eval();
    const Tensor x = random_images(3, config.in_channels, config.input_size, 7);
    CHECK((*loaded)(x).to_vector() == (*model)(x).to_vector());

    // A plain model file has no training part.
    const ModelFileContents contents = load_model_file(path);
    CHECK(contents.optimizer_state.empty());
    CHECK(contents.train_state.empty());
  }
}

TEST_CASE("a checkpoint carries optimizer tensors and train state, split off by load_model_file") {
  TempDir dir;
  const ModelConfig config = tiny_resnet();
  auto model = trained_looking_model(config, 9);
  const std::vector<nn::NamedTensor> optimizer = {
      {"step", Tensor::full({}, 12.0, DType::Int64)},
      {"0.momentum_buffer", Tensor::full({4, 1, 3, 3}, 0.25)},
      {"3.exp_avg_sq", Tensor::arange(6).reshape({2, 3})}};
  const std::string train_state = R"({"epoch":3,"step":17})";
  const std::string path = dir / "checkpoint.safetensors";
  save_model(path, *model, optimizer, train_state);

  // The file itself holds the optimizer tensors under "optimizer." and both metadata keys.
  const nn::SafetensorsContents raw = nn::load_safetensors(path);
  CHECK(raw.metadata.at("attrax_train") == train_state);
  CHECK(nlohmann::json::parse(raw.metadata.at("attrax")).at("arch") == "resnet");
  std::size_t prefixed = 0;
  for (const nn::NamedTensor& t : raw.tensors) prefixed += t.name.rfind("optimizer.", 0) == 0;
  CHECK(prefixed == 3);
  CHECK(raw.tensors.size() == model->state_dict().size() + 3);

  const ModelFileContents contents = load_model_file(path);
  REQUIRE(contents.optimizer_state.size() == 3);
  std::map<std::string, Tensor> state;
  for (const nn::NamedTensor& t : contents.optimizer_state) state[t.name] = t.tensor;
  REQUIRE(state.count("step"));
  REQUIRE(state.count("0.momentum_buffer"));
  REQUIRE(state.count("3.exp_avg_sq"));
  CHECK(state["step"].dtype() == DType::Int64);
  CHECK(state["step"].item() == 12);
  CHECK(state["0.momentum_buffer"].shape() == Shape{4, 1, 3, 3});
  CHECK(state["0.momentum_buffer"].at({2, 0, 1, 1}) == 0.25);
  CHECK(state["3.exp_avg_sq"].to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(contents.train_state == train_state);
  REQUIRE(contents.model);
  contents.model->eval();
  const Tensor x = random_images(2, 1, 12, 4);
  CHECK((*contents.model)(x).to_vector() == (*model)(x).to_vector());

  // load_model reads a checkpoint as a model.
  auto as_model = load_model(path);
  as_model->eval();
  CHECK((*as_model)(x).to_vector() == (*model)(x).to_vector());
}

TEST_CASE("load_model accepts files without num_batches_tracked") {
  TempDir dir;
  auto model = trained_looking_model(tiny_resnet(), 2);
  std::vector<nn::NamedTensor> tensors;
  for (const nn::NamedTensor& t : model->state_dict())
    if (!t.name.ends_with("num_batches_tracked")) tensors.push_back(t);
  REQUIRE(tensors.size() < model->state_dict().size());
  const std::string path = dir / "old.safetensors";
  nn::save_safetensors(path, tensors, {{"attrax", config_json(model->config())}});
  auto loaded = load_model(path);
  loaded->eval();
  const Tensor x = random_images(2, 1, 12, 3);
  CHECK((*loaded)(x).to_vector() == (*model)(x).to_vector());
}

TEST_CASE("hostile model files raise FileError naming the file") {
  TempDir dir;
  const ModelConfig config = tiny_resnet();
  auto model = create_model(config, 1);
  const std::vector<nn::NamedTensor> state = model->state_dict();
  const std::map<std::string, std::string> good_metadata = {{"attrax", config_json(config)}};

  // Writes `tensors` with `metadata` to a new file and returns load_model's FileError message.
  int counter = 0;
  const auto load_error = [&](const std::vector<nn::NamedTensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
    const std::string path = dir / ("bad" + std::to_string(counter++) + ".safetensors");
    nn::save_safetensors(path, tensors, metadata);
    const std::string message = error_message<FileError>([&] { load_model(path); });
    CHECK_MESSAGE(contains(message, path), message);
    return message;
  };

  SUBCASE("the control file loads") {
    const std::string path = dir / "good.safetensors";
    nn::save_safetensors(path, state, good_metadata);
    CHECK(load_model(path));
  }
  SUBCASE("no attrax metadata") {
    CHECK(contains(load_error(state, {}), "\"attrax\""));
    CHECK(contains(load_error(state, {{"format", "pt"}}), "not an attrax model file"));
  }
  SUBCASE("malformed JSON") {
    CHECK(contains(load_error(state, {{"attrax", "{\"arch\": \"resnet\", "}}), "not valid JSON"));
  }
  SUBCASE("JSON that is not a config") {
    CHECK(contains(load_error(state, {{"attrax", "[1, 2]"}}), "arch"));
    CHECK(contains(load_error(state, {{"attrax", R"({"depth": 8})"}}), "arch"));
    CHECK(contains(load_error(state, {{"attrax", R"({"arch": "resnet", "depth": "eight"})"}}),
                   "wrong type"));
  }
  SUBCASE("invalid config") {
    ModelConfig bad = config;
    bad.depth = 9;
    CHECK(contains(load_error(state, {{"attrax", config_json(bad)}}), "depth"));
    bad = config;
    bad.arch = "vgg";
    CHECK(contains(load_error(state, {{"attrax", config_json(bad)}}), "'vgg'"));
    bad = config;
    bad.std = {0.0};  // Normalize would divide by it
    CHECK(contains(load_error(state, {{"attrax", config_json(bad)}}), "std"));
    bad = config;
    bad.activation = "gelu";
    CHECK(contains(load_error(state, {{"attrax", config_json(bad)}}), "'gelu'"));
  }
  SUBCASE("missing tensor") {
    std::vector<nn::NamedTensor> tensors;
    for (const nn::NamedTensor& t : state)
      if (t.name != "layer2.0.downsample.0.weight") tensors.push_back(t);
    const std::string message = load_error(tensors, good_metadata);
    CHECK(contains(message, "missing"));
    CHECK(contains(message, "'layer2.0.downsample.0.weight'"));
  }
  SUBCASE("wrong shape") {
    std::vector<nn::NamedTensor> tensors = state;
    for (nn::NamedTensor& t : tensors)
      if (t.name == "fc.weight") t.tensor = Tensor::zeros({5, 8});
    const std::string message = load_error(tensors, good_metadata);
    CHECK(contains(message, "'fc.weight'"));
    CHECK(contains(message, "[5, 8]"));
    CHECK(contains(message, "[5, 16]"));
  }
  SUBCASE("wrong dtype") {
    std::vector<nn::NamedTensor> tensors = state;
    for (nn::NamedTensor& t : tensors)
      if (t.name == "bn1.running_var") t.tensor = t.tensor.to(DType::Float64);
    CHECK(contains(load_error(tensors, good_metadata), "'bn1.running_var'"));
  }
  SUBCASE("unexpected tensor") {
    std::vector<nn::NamedTensor> tensors = state;
    tensors.push_back({"layer4.0.conv1.weight", Tensor::zeros({2, 2})});
    CHECK(contains(load_error(tensors, good_metadata), "'layer4.0.conv1.weight'"));
  }
  SUBCASE("weights of another architecture") {
    ModelConfig other = config;
    other.depth = 14;
    CHECK(contains(load_error(state, {{"attrax", config_json(other)}}), "missing"));
  }
  SUBCASE("not a safetensors file at all") {
    const std::string path = dir / "garbage.safetensors";
    nn::save_safetensors(path, state, good_metadata);
    std::filesystem::resize_file(path, 100);
    CHECK(contains(error_message<FileError>([&] { load_model(path); }), path));
    const std::string missing = dir / "nothing_here.safetensors";
    CHECK(contains(error_message<FileError>([&] { load_model(missing); }), missing));
  }
}
