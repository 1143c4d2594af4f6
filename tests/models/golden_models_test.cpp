// Every registry architecture against PyTorch: tests/golden/make_model_fixtures.py rebuilds each
// model in torch under attrax's names, and here the torch state_dict is loaded into
// create_model(config). The key list (order, shapes, dtypes), the parameter count, the eval- and
// train-mode logits and the running statistics after the train-mode forward must all agree.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "models/registry.hpp"
#include "nn/io/safetensors.hpp"

using namespace attrax;
using namespace attrax::models;
using namespace attrax::models::testing;

namespace {

// float32 results against float64 references: max abs error over max |reference|.
constexpr double kRelativeTolerance = 1e-5;

struct Fixture {
  ModelConfig config;
  std::vector<std::pair<std::string, Shape>> keys;  // torch's state_dict order
  std::int64_t parameter_count = 0;
  std::vector<nn::NamedTensor> state;               // to load
  Tensor input, eval_logits, train_logits;
  std::map<std::string, Tensor> updated;            // buffers after the train-mode forward
};

// The make_model_fixtures.py weight_formula, bit for bit.
Tensor formula_weights(std::size_t index, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  float* out = t.data<float>();
  std::int64_t fan = 1;
  for (int axis = 1; axis < shape.rank(); ++axis) fan *= shape[axis];
  const double scale = shape.rank() >= 2 ? 1.0 / std::sqrt(double(fan)) : 0.1;
  for (std::int64_t i = 0; i < shape.numel(); ++i) {
    const std::uint64_t h =
        (std::uint64_t(i + 1) * 2654435761ull + std::uint64_t(index + 1) * 97531ull) % (1ull << 24);
    out[i] = static_cast<float>((2.0 * (double(h) / 16777216.0) - 1.0) * scale);
  }
  return t;
}

Fixture load_fixture(const std::string& name) {
  const nn::SafetensorsContents file =
      nn::load_safetensors(std::string(ATTRAX_GOLDEN_DIR) + "/model_" + name + ".safetensors");
  Fixture f;
  f.config = nlohmann::json::parse(file.metadata.at("config")).get<ModelConfig>();
  for (const auto& entry : nlohmann::json::parse(file.metadata.at("state_dict")))
    f.keys.emplace_back(entry[0].get<std::string>(),
                        Shape(entry[1].get<std::vector<std::int64_t>>()));
  f.parameter_count = std::stoll(file.metadata.at("parameter_count"));
  const bool generated = file.metadata.at("generated") == "1";
  std::map<std::string, Tensor> tensors;
  for (const nn::NamedTensor& t : file.tensors) tensors[t.name] = t.tensor;
  for (std::size_t i = 0; i < f.keys.size(); ++i) {
    const auto& [key, shape] = f.keys[i];
    f.state.push_back({key, generated ? formula_weights(i, shape) : tensors.at("state." + key)});
  }
  f.input = tensors.at("input");
  f.eval_logits = tensors.at("eval_logits");
  f.train_logits = tensors.at("train_logits");
  for (const auto& [key, t] : tensors)
    if (key.rfind("updated.", 0) == 0) f.updated[key.substr(8)] = t;
  return f;
}

void check_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  REQUIRE_MESSAGE(actual.shape() == expected.shape(),
                  what << ": " << actual.shape().str() << " vs " << expected.shape().str());
  const double scale = std::max(max_abs(expected.to_vector()), 1e-3);
  const double error = max_abs_diff(actual, expected);
  CHECK_MESSAGE(error <= kRelativeTolerance * scale,
                what << ": max abs error " << error << " for values up to " << scale);
}

void check_against_torch(const std::string& name, const std::string& arch) {
  CAPTURE(name);
  const Fixture f = load_fixture(name);
  REQUIRE(f.config.arch == arch);
  auto model = create_model(f.config, 3);

  // The state_dict has torch's keys, in torch's order, with torch's shapes and dtypes.
  const std::vector<nn::NamedTensor> ours = model->state_dict();
  REQUIRE(ours.size() == f.keys.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    CHECK(ours[i].name == f.keys[i].first);
    CHECK_MESSAGE(ours[i].tensor.shape() == f.keys[i].second, ours[i].name);
    const bool counter = ours[i].name.ends_with("num_batches_tracked");
    CHECK_MESSAGE(ours[i].tensor.dtype() == (counter ? DType::Int64 : DType::Float32),
                  ours[i].name);
  }
  CHECK(model->parameter_count() == f.parameter_count);

  model->load_state_dict(f.state);
  for (std::size_t i = 0; i < ours.size(); ++i)
    CHECK_MESSAGE(ours[i].tensor.to_vector() == f.state[i].tensor.to_vector(), ours[i].name);

  model->eval();
  check_close((*model)(f.input), f.eval_logits, name + " eval logits");
  model->train();
  check_close((*model)(f.input), f.train_logits, name + " train logits");

  std::map<std::string, Tensor> state;
  for (const nn::NamedTensor& e : model->state_dict()) state[e.name] = e.tensor;
  std::size_t buffers = 0;
  for (const auto& [key, expected] : f.updated) {
    CAPTURE(key);
    REQUIRE(state.count(key));
    if (key.ends_with("num_batches_tracked")) {
      CHECK(state[key].item() == 8);
      CHECK(expected.item() == 8);
    } else {
      check_close(state[key], expected, name + " " + key);
    }
    ++buffers;
  }
  // Every batch norm contributes three buffers, all in the fixture.
  std::size_t expected_buffers = 0;
  for (const auto& [key, shape] : f.keys)
    expected_buffers += key.ends_with("running_mean") + key.ends_with("running_var") +
                        key.ends_with("num_batches_tracked");
  CHECK(buffers == expected_buffers);
}

}  // namespace

TEST_CASE("resnet8 matches PyTorch") { check_against_torch("resnet8", "resnet"); }

TEST_CASE("resnet20 with three input channels matches PyTorch") {
  check_against_torch("resnet20", "resnet");
}

TEST_CASE("preact_resnet8 with leaky ReLU matches PyTorch") {
  check_against_torch("preact_resnet8", "preact_resnet");
}

TEST_CASE("rar_cnn matches PyTorch") { check_against_torch("rar_cnn", "rar_cnn"); }

TEST_CASE("mlp with softplus matches PyTorch") { check_against_torch("mlp", "mlp"); }

TEST_CASE("the fixtures exercise what they claim") {
  // Guards against a fixture regenerated into something trivial: train and eval logits differ
  // where there is batch norm, the running statistics moved, and the configs are as described.
  const Fixture small = load_fixture("resnet8");
  CHECK(small.config.mean == std::vector<double>{0.3});
  CHECK(small.config.std == std::vector<double>{0.4});
  const Fixture resnet = load_fixture("resnet20");
  CHECK(resnet.config.depth == 20);
  CHECK(resnet.config.in_channels == 3);
  CHECK(max_abs_diff(resnet.eval_logits, resnet.train_logits) > 1e-2);
  const Fixture preact = load_fixture("preact_resnet8");
  CHECK(preact.config.activation == "leaky_relu:0.1");
  const Fixture rar = load_fixture("rar_cnn");
  CHECK(rar.updated.empty());
  CHECK(rar.parameter_count > 600000);
  CHECK(max_abs(rar.eval_logits.to_vector()) > 0.1);
  const Fixture mlp = load_fixture("mlp");
  CHECK(mlp.config.activation == "softplus:2");
  CHECK(mlp.keys.size() == 6);
}
