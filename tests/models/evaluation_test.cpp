// evaluate() on a hand-made dataset and a model whose predictions are known: an MLP on 1x2x2
// images whose logits are the first three pixels, so the prediction is the brightest of them.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "models/evaluation.hpp"
#include "models/registry.hpp"

using namespace attrax;
using namespace attrax::models;
using namespace attrax::models::testing;

namespace {

using Row = std::vector<std::int64_t>;

// logits = (p0, p1, p2) / 255 for an image of pixels (p0, p1, p2, p3): fc1 = identity (the pixels
// pass the ReLU unchanged), fc2 picks the first three.
std::unique_ptr<Classifier> pixel_picker(std::int64_t classes = 3) {
  ModelConfig config;
  config.arch = "mlp";
  config.depth = 1;
  config.width = 4;
  config.in_channels = 1;
  config.input_size = 2;
  config.num_classes = classes;
  config.mean = {0.0};
  config.std = {1.0};
  auto model = create_model(config, 1);
  Tensor fc1 = Tensor::zeros({4, 4}), fc2 = Tensor::zeros({classes, 4});
  for (std::int64_t i = 0; i < 4; ++i) fc1.set({i, i}, 1.0);
  for (std::int64_t i = 0; i < std::min<std::int64_t>(classes, 3); ++i) fc2.set({i, i}, 1.0);
  model->load_state_dict({{"fc1.weight", fc1},
                          {"fc1.bias", Tensor::zeros({4})},
                          {"fc2.weight", fc2},
                          {"fc2.bias", Tensor::zeros({classes})}});
  return model;
}

// Seven images; predictions 0 1 2 1 2 0 1 against labels 0 1 2 0 0 1 1.
data::Dataset seven_images() {
  data::Dataset d;
  d.count = 7;
  d.channels = 1;
  d.height = 2;
  d.width = 2;
  d.pixels = {200, 10,  10, 0,    // -> 0, label 0
              10,  200, 10, 0,    // -> 1, label 1
              10,  10,  200, 0,   // -> 2, label 2
              10,  250, 10, 0,    // -> 1, label 0
              10,  10,  250, 255, // -> 2, label 0 (pixel 3 is ignored)
              255, 0,   0,  0,    // -> 0, label 1
              0,   100, 0,  0};   // -> 1, label 1
  d.labels = {0, 1, 2, 0, 0, 1, 1};
  d.class_names = {"zero", "one", "two"};
  return d;
}

// The mean over the first `n` images of the largest softmax probability of (p0, p1, p2) / 255.
double expected_confidence(const data::Dataset& d, std::int64_t n) {
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    double z[3], sum = 0, top = 0;
    for (int c = 0; c < 3; ++c) {
      z[c] = std::exp(d.pixels[std::size_t(4 * i + c)] / 255.0);
      sum += z[c];
    }
    for (int c = 0; c < 3; ++c) top = std::max(top, z[c] / sum);
    total += top;
  }
  return total / double(n);
}

}  // namespace

TEST_CASE("evaluate counts accuracy, per-class accuracy and confusion") {
  const data::Dataset data = seven_images();
  auto model = pixel_picker();
  for (std::int64_t batch_size : {256, 2, 1}) {
    CAPTURE(batch_size);
    model->train();
    const Evaluation e = evaluate(*model, data, 0, batch_size);
    CHECK_FALSE(model->is_training());
    CHECK(e.count == 7);
    CHECK(e.accuracy == doctest::Approx(4.0 / 7.0));
    REQUIRE(e.confusion.size() == 3);
    CHECK(e.confusion[0] == Row{1, 1, 1});
    CHECK(e.confusion[1] == Row{1, 2, 0});
    CHECK(e.confusion[2] == Row{0, 0, 1});
    REQUIRE(e.class_accuracy.size() == 3);
    CHECK(e.class_accuracy[0] == doctest::Approx(1.0 / 3.0));
    CHECK(e.class_accuracy[1] == doctest::Approx(2.0 / 3.0));
    CHECK(e.class_accuracy[2] == doctest::Approx(1.0));
    CHECK(e.class_names == std::vector<std::string>{"zero", "one", "two"});
    CHECK(e.mean_confidence == doctest::Approx(expected_confidence(data, 7)).epsilon(1e-6));
  }
}

TEST_CASE("evaluate honours the limit and leaves absent classes at zero") {
  const data::Dataset data = seven_images();
  auto model = pixel_picker();
  Evaluation e = evaluate(*model, data, 3);
  CHECK(e.count == 3);
  CHECK(e.accuracy == 1.0);
  CHECK(e.confusion == std::vector<Row>{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
  CHECK(e.mean_confidence == doctest::Approx(expected_confidence(data, 3)).epsilon(1e-6));

  e = evaluate(*model, data, 2);
  CHECK(e.count == 2);
  CHECK(e.confusion[2] == Row{0, 0, 0});
  CHECK(e.class_accuracy == std::vector<double>{1.0, 1.0, 0.0});

  e = evaluate(*model, data, 100);  // beyond the end: everything
  CHECK(e.count == 7);
}

TEST_CASE("evaluate lets a model with more classes than the data predict any of them") {
  data::Dataset data = seven_images();
  auto model = pixel_picker(4);  // class 3 is never the largest logit (always 0)
  const Evaluation e = evaluate(*model, data);
  REQUIRE(e.confusion.size() == 3);
  CHECK(e.confusion[0] == Row{1, 1, 1, 0});
  CHECK(e.accuracy == doctest::Approx(4.0 / 7.0));
}

TEST_CASE("evaluate rejects a model that does not fit the data") {
  auto model = pixel_picker();
  data::Dataset more_classes = seven_images();
  more_classes.class_names.push_back("three");
  CHECK(contains(error_message<ValueError>([&] { evaluate(*model, more_classes); }),
                 "4 classes"));
  data::Dataset rgb = seven_images();
  rgb.channels = 3;
  rgb.pixels.resize(rgb.pixels.size() * 3, 0);
  CHECK(contains(error_message<ValueError>([&] { evaluate(*model, rgb); }), "3 channels"));
}

TEST_CASE("Evaluation json and table report the numbers") {
  auto model = pixel_picker();
  const Evaluation e = evaluate(*model, seven_images());
  const std::string text = e.json();
  CHECK(contains(text, "\"accuracy\""));
  const nlohmann::json j = nlohmann::json::parse(text);
  CHECK(j.at("count") == 7);
  CHECK(j.at("accuracy").get<double>() == doctest::Approx(4.0 / 7.0));
  CHECK(j.at("mean_confidence").get<double>() == doctest::Approx(e.mean_confidence));
  CHECK(j.at("classes") == nlohmann::json({"zero", "one", "two"}));
  CHECK(j.at("class_accuracy").size() == 3);
  CHECK(j.at("confusion") == nlohmann::json({{1, 1, 1}, {1, 2, 0}, {0, 0, 1}}));

  const std::string table = e.table();
  CHECK(contains(table, "accuracy 0.5714 on 7 images"));
  CHECK(contains(table, "zero"));
  CHECK(contains(table, "0.6667"));
}
