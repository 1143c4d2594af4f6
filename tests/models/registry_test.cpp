// The registry (names, configs, seeded creation), ModelConfig validation and JSON, input checks,
// and the softplus twin of a ReLU model.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "models/registry.hpp"
#include "models/resnet.hpp"

using namespace attrax;
using namespace attrax::models;
using namespace attrax::models::testing;

namespace {

std::vector<std::vector<double>> weights(const Classifier& model) {
  std::vector<std::vector<double>> out;
  for (const nn::NamedTensor& t : model.state_dict()) out.push_back(t.tensor.to_vector());
  return out;
}

}  // namespace

TEST_CASE("model_names and config_for cover every registered architecture") {
  const std::vector<std::string> names = model_names();
  CHECK(names.size() == 14);
  for (const std::string& name : names) {
    CAPTURE(name);
    const ModelConfig config = config_for(name);
    CHECK_NOTHROW(config.validate());
    CHECK(config.in_channels == 1);
    CHECK(config.input_size == 28);
    CHECK(config.num_classes == 10);
    CHECK(config.activation == "relu");
    if (name.starts_with("preact_resnet"))
      CHECK(name == "preact_resnet" + std::to_string(config.depth));
    else if (name.starts_with("resnet"))
      CHECK(name == "resnet" + std::to_string(config.depth));
  }
  CHECK(config_for("resnet56").depth == 56);
  CHECK(config_for("preact_resnet20").arch == "preact_resnet");
  CHECK(config_for("rar_cnn").arch == "rar_cnn");
  const ModelConfig mlp = config_for("mlp");
  CHECK(mlp.arch == "mlp");
  CHECK(mlp.depth == 2);
  CHECK(mlp.width == 256);

  for (const std::string bad : {"resnet9", "resnet", "ResNet20", "vgg16", ""}) {
    const std::string message = error_message<ValueError>([&] { config_for(bad); });
    CHECK_MESSAGE(contains(message, "'" + bad + "'"), message);
    CHECK(contains(message, "resnet8, resnet14"));
    CHECK(contains(message, "preact_resnet56"));
    CHECK(contains(message, "rar_cnn, mlp"));
  }
}

TEST_CASE("registry models build with the documented parameter counts") {
  // resnet20, 16 wide, 1 channel, 10 classes: conv1 144 + bn 32; stage 1: 6 convs of 16·16·9 and
  // 6 bns of 32; stage 2: 32·16·9 + 5·32·32·9 convs, 6 bns of 64, projection 32·16 + bn 64; stage 3
  // likewise at 64; fc 64·10 + 10.
  const std::int64_t stage1 = 6 * 16 * 16 * 9 + 6 * 32;
  const std::int64_t stage2 = 32 * 16 * 9 + 5 * 32 * 32 * 9 + 6 * 64 + 32 * 16 + 64;
  const std::int64_t stage3 = 64 * 32 * 9 + 5 * 64 * 64 * 9 + 6 * 128 + 64 * 32 + 128;
  CHECK(create_model(config_for("resnet20"))->parameter_count() ==
        144 + 32 + stage1 + stage2 + stage3 + 650);
  // rar_cnn on 28x28: 5·5·32 + 32, 5·5·32·64 + 64, 7·7·64·1024 + 1024, 1024·10 + 10
  CHECK(create_model(config_for("rar_cnn"))->parameter_count() ==
        832 + 51264 + 3212288 + 10250);
  // mlp: 784·256 + 256, 256·256 + 256, 256·10 + 10
  CHECK(create_model(config_for("mlp"))->parameter_count() == 200960 + 65792 + 2570);
}

TEST_CASE("create_model is reproducible from its seed") {
  const ModelConfig config = tiny_resnet();
  const auto a = create_model(config, 7), b = create_model(config, 7), c = create_model(config, 8);
  CHECK(weights(*a) == weights(*b));
  CHECK(weights(*a) != weights(*c));
  CHECK(weights(*create_model(config)) == weights(*create_model(config, 0)));
  // Every weight tensor differs between seeds, not just the first.
  const auto wa = a->named_parameters(), wc = c->named_parameters();
  for (std::size_t i = 0; i < wa.size(); ++i) {
    if (wa[i].name.find("bn") != std::string::npos ||
        wa[i].name.find("downsample.1") != std::string::npos)
      continue;  // batch norm starts at (1, 0) whatever the seed
    CHECK_MESSAGE(wa[i].tensor.to_vector() != wc[i].tensor.to_vector(), wa[i].name);
  }
  // Different tensors within one model are not copies of each other.
  CHECK(a->module_at("layer1.0.conv1").state_dict()[0].tensor.to_vector() !=
        a->module_at("layer1.0.conv2").state_dict()[0].tensor.to_vector());
}

TEST_CASE("ResNet initialisation follows torchvision") {
  ModelConfig config = tiny_resnet();
  config.width = 16;
  const auto model = create_model(config, 1);
  for (const nn::NamedTensor& p : model->named_parameters()) {
    CAPTURE(p.name);
    const std::vector<double> v = p.tensor.to_vector();
    if (p.name.ends_with("bn1.weight") || p.name.ends_with("bn2.weight") ||
        p.name.ends_with("downsample.1.weight")) {
      CHECK(v == std::vector<double>(v.size(), 1.0));
    } else if (p.name.ends_with("bn1.bias") || p.name.ends_with("bn2.bias")) {
      CHECK(v == std::vector<double>(v.size(), 0.0));
    } else if (p.name == "layer3.0.conv2.weight") {
      // kaiming_normal_(fan_out): std = sqrt(2 / (64 · 9))
      double sum_sq = 0;
      for (double x : v) sum_sq += x * x;
      CHECK(std::sqrt(sum_sq / double(v.size())) ==
            doctest::Approx(std::sqrt(2.0 / 576)).epsilon(0.03));
    } else if (p.name == "fc.weight") {
      CHECK(max_abs(v) <= 1.0 / 8.0);  // PyTorch's default, fan_in 64
    }
  }
}

TEST_CASE("ModelConfig JSON round trips and keeps defaults for missing keys") {
  ModelConfig config = tiny_resnet("leaky_softplus:0.1:10");
  config.arch = "preact_resnet";
  config.depth = 20;
  config.in_channels = 3;
  config.mean = {0.4914, 0.4822, 0.4465};
  config.std = {0.247, 0.243, 0.261};
  const nlohmann::json j = config;
  const ModelConfig back = nlohmann::json::parse(j.dump()).get<ModelConfig>();
  CHECK(back.arch == config.arch);
  CHECK(back.depth == config.depth);
  CHECK(back.width == config.width);
  CHECK(back.in_channels == config.in_channels);
  CHECK(back.num_classes == config.num_classes);
  CHECK(back.input_size == config.input_size);
  CHECK(back.activation == config.activation);
  CHECK(back.mean == config.mean);
  CHECK(back.std == config.std);
  CHECK(nlohmann::json(back) == j);

  const ModelConfig partial = nlohmann::json::parse(R"({"arch": "mlp", "width": 32})")
                                  .get<ModelConfig>();
  const ModelConfig defaults;
  CHECK(partial.arch == "mlp");
  CHECK(partial.width == 32);
  CHECK(partial.depth == defaults.depth);
  CHECK(partial.mean == defaults.mean);

  CHECK_THROWS_AS(nlohmann::json::parse(R"({"depth": 8})").get<ModelConfig>(), ValueError);
  CHECK_THROWS_AS(nlohmann::json::parse("[]").get<ModelConfig>(), ValueError);
  CHECK(contains(error_message<ValueError>([] {
                   nlohmann::json::parse(R"({"arch": "resnet", "mean": "0.5"})").get<ModelConfig>();
                 }),
                 "wrong type"));
  CHECK_THROWS_AS(nlohmann::json::parse(R"({"arch": 5})").get<ModelConfig>(), ValueError);
}

TEST_CASE("ModelConfig validate names the offending field") {
  const auto message = [](const ModelConfig& c) {
    return error_message<ValueError>([&] { c.validate(); });
  };
  CHECK(message(tiny_resnet()).empty());
  ModelConfig c = tiny_resnet();
  c.arch = "vgg";
  CHECK(contains(message(c), "unknown arch 'vgg'"));
  for (std::int64_t depth : {0, 7, 9, 10, 2}) {
    c = tiny_resnet();
    c.depth = depth;
    CHECK_MESSAGE(contains(message(c), "depth"), depth);
    c.arch = "preact_resnet";
    CHECK_MESSAGE(contains(message(c), "depth"), depth);
  }
  c = tiny_resnet();
  c.arch = "mlp";
  c.depth = 9;  // hidden layers: any positive count
  CHECK(message(c).empty());
  c.depth = 0;
  CHECK(contains(message(c), "depth"));
  c = tiny_resnet();
  c.width = 0;
  CHECK(contains(message(c), "width"));
  c = tiny_resnet();
  c.num_classes = 0;
  CHECK(contains(message(c), "num_classes"));
  c = tiny_resnet();
  c.input_size = -1;
  CHECK(contains(message(c), "input_size"));
  c = tiny_resnet();
  c.in_channels = 3;  // mean and std still have one value
  CHECK(contains(message(c), "in_channels = 3"));
  c.mean = {0.1, 0.2, 0.3};
  CHECK(contains(message(c), "in_channels = 3"));
  c.std = {0.1, 0.2, 0.3};
  CHECK(message(c).empty());
  c = tiny_resnet();
  c.std = {0.0};
  CHECK(contains(message(c), "std"));
  c.std = {-0.5};
  CHECK(contains(message(c), "std"));
  c.std = {std::numeric_limits<double>::infinity()};
  CHECK(contains(message(c), "std"));
  c = tiny_resnet();
  c.mean = {std::nan("")};
  CHECK(contains(message(c), "mean"));
  c = tiny_resnet();
  c.activation = "tanh";
  CHECK(contains(message(c), "'tanh'"));
  c = tiny_resnet();
  c.arch = "rar_cnn";
  c.input_size = 3;
  CHECK(contains(message(c), "input_size"));

  CHECK(tiny_resnet().summary() == "resnet8 (4 wide, 1x12x12 -> 5 classes, relu)");
  CHECK(config_for("rar_cnn").summary() == "rar_cnn (16 wide, 1x28x28 -> 10 classes, relu)");
  // create_model validates too.
  c = tiny_resnet();
  c.depth = 9;
  CHECK_THROWS_AS(create_model(c), ValueError);
}

TEST_CASE("Classifier rejects inputs of the wrong shape, naming what it expects") {
  const auto resnet = create_model(tiny_resnet());
  // Convolutional ResNets take any size but need the configured channels.
  CHECK((*resnet)(random_images(2, 1, 12)).shape() == Shape{2, 5});
  CHECK((*resnet)(random_images(1, 1, 20)).shape() == Shape{1, 5});
  std::string message = error_message<ShapeError>([&] { (*resnet)(random_images(2, 3, 12)); });
  CHECK(contains(message, "[N, 1, H, W]"));
  CHECK(contains(message, "[2, 3, 12, 12]"));
  CHECK_THROWS_AS((*resnet)(Tensor::zeros({1, 12, 12})), ShapeError);

  ModelConfig rar = tiny_resnet();
  rar.arch = "rar_cnn";
  const auto cnn = create_model(rar);
  CHECK((*cnn)(random_images(2, 1, 12)).shape() == Shape{2, 5});
  message = error_message<ShapeError>([&] { (*cnn)(random_images(2, 1, 16)); });
  CHECK(contains(message, "[N, 1, 12, 12]"));
  CHECK(contains(message, "[2, 1, 16, 16]"));
  CHECK_THROWS_AS((*cnn)(random_images(2, 2, 12)), ShapeError);

  ModelConfig mlp = tiny_resnet();
  mlp.arch = "mlp";
  const auto net = create_model(mlp);
  CHECK_THROWS_AS((*net)(random_images(2, 1, 11)), ShapeError);
  CHECK((*net)(random_images(2, 1, 12)).shape() == Shape{2, 5});
}

TEST_CASE("the softplus twin shares the ReLU model's tensors and approximates its logits") {
  const ModelConfig config = tiny_resnet();
  const auto model = create_model(config, 4);
  // Non-trivial running statistics, then eval.
  model->train();
  (*model)(random_images(8, 1, 12, 5));
  model->eval();

  const auto twin = activation_twin(*model, "softplus:1000");
  CHECK(twin->config().activation == "softplus:1000");
  CHECK_FALSE(twin->is_training());  // the twin starts in the model's mode

  const std::vector<Tensor> mine = model->parameters(), theirs = twin->parameters();
  REQUIRE(mine.size() == theirs.size());
  for (std::size_t i = 0; i < mine.size(); ++i) CHECK(mine[i].impl() == theirs[i].impl());
  const auto mb = model->named_buffers(), tb = twin->named_buffers();
  REQUIRE(mb.size() == tb.size());
  for (std::size_t i = 0; i < mb.size(); ++i) CHECK(mb[i].tensor.impl() == tb[i].tensor.impl());

  const Tensor x = random_images(4, 1, 12, 6);
  const Tensor relu_logits = (*model)(x), soft_logits = (*twin)(x);
  const double difference = max_abs_diff(relu_logits, soft_logits);
  CHECK(difference > 0);  // the twin really is smooth
  CHECK(difference < 1e-3 * max_abs(relu_logits.to_vector()));

  // A weaker softplus is further away.
  const auto blunt = activation_twin(*model, "softplus:2");
  CHECK(max_abs_diff(relu_logits, (*blunt)(x)) > 10 * difference);

  // Gradients through the twin land on the ReLU model's parameters.
  for (Tensor p : mine) p.zero_grad();
  sum((*twin)(x)).backward();
  for (std::size_t i = 0; i < mine.size(); ++i) CHECK(mine[i].grad().defined());
  const Tensor fc_weight = model->module_at("fc").state_dict()[0].tensor;
  REQUIRE(fc_weight.grad().defined());
  CHECK(max_abs(fc_weight.grad().to_vector()) > 0);

  // A training-mode forward of the twin moves the shared running statistics.
  const std::vector<double> before = model->module_at("bn1").state_dict()[2].tensor.to_vector();
  twin->train();
  (*twin)(x);
  CHECK(model->module_at("bn1").state_dict()[2].tensor.to_vector() != before);
  CHECK(model->module_at("bn1").state_dict()[4].tensor.item() == 2);

  // A twin of another architecture is refused.
  ModelConfig wider = config;
  wider.width = 8;
  CHECK_THROWS_AS(create_model(wider)->share_tensors_with(*model), ValueError);
}

TEST_CASE("model layers are reachable by path and hookable") {
  const auto model = create_model(tiny_resnet(), 2);
  std::vector<std::string> paths;
  for (auto& [path, module] : model->named_modules()) paths.push_back(path);
  for (const std::string expected :
       {"normalize", "conv1", "bn1", "layer1.0.conv1", "layer2.0.downsample.0",
        "layer2.0.downsample.1", "layer3.0.relu2", "avgpool", "fc"})
    CHECK_MESSAGE(std::find(paths.begin(), paths.end(), expected) != paths.end(), expected);
  CHECK(dynamic_cast<nn::Conv2d*>(&model->module_at("layer3.0.conv2")) != nullptr);
  CHECK(model->module_at("layer2.0.downsample.0").describe() ==
        "Conv2d(4, 8, kernel_size=1, stride=2, bias=False)");
  CHECK(contains(error_message<ValueError>([&] { model->module_at("layer4"); }), "layer3.0.conv2"));

  // A hook on the last block records its activation: [N, 4w, H/4, W/4].
  Tensor recorded;
  model->module_at("layer3.0.relu2").set_forward_hook([&](const Tensor& y) {
    recorded = y;
    return y;
  });
  model->eval();
  const Tensor logits = (*model)(random_images(2, 1, 12));
  REQUIRE(recorded.defined());
  CHECK(recorded.shape() == Shape{2, 16, 3, 3});
  // The logits are fc(mean over space) of that activation.
  const auto& fc = dynamic_cast<nn::Linear&>(model->module_at("fc"));
  CHECK(max_abs_diff(logits, linear(mean(recorded, {2, 3}), fc.weight, fc.bias)) < 1e-6);

  const auto preact = create_model([] {
    ModelConfig c = tiny_resnet();
    c.arch = "preact_resnet";
    return c;
  }());
  CHECK(dynamic_cast<nn::BatchNorm2d*>(&preact->module_at("bn")) != nullptr);
  CHECK(dynamic_cast<nn::BatchNorm2d*>(&preact->module_at("layer2.0.bn1")) != nullptr);
  CHECK_THROWS_AS(preact->module_at("layer2.0.downsample.1"), ValueError);  // conv only
}

TEST_CASE("config JSON rejects fractional integers and sizes beyond the limits") {
  nlohmann::json j = {{"arch", "resnet"}, {"depth", 8.5}};
  attrax::models::ModelConfig config;
  CHECK_THROWS_WITH_AS(j.get_to(config), doctest::Contains("\"depth\" has the wrong type"),
                       attrax::ValueError);
  config = attrax::models::config_for("resnet8");
  config.width = 1 << 20;
  CHECK_THROWS_WITH_AS(config.validate(), doctest::Contains("width must be in [1, 4096]"),
                       attrax::ValueError);
}
