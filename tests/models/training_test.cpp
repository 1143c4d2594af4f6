// Trainer: learning on a small task, bit-identical reruns, resuming from a checkpoint file exactly,
// and stopping on a non-finite loss.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "engine/error.hpp"
#include "models/data/shapes.hpp"
#include "models/evaluation.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"
#include "models/training.hpp"
#include "nn/layers/batch_norm2d.hpp"

using namespace attrax;
using namespace attrax::models;

namespace {

data::Dataset small_shapes(std::uint64_t seed, std::int64_t count = 96) {
  return data::make_shapes({.count = count, .size = 16, .channels = 1, .num_classes = 3,
                            .seed = seed});
}

ModelConfig small_resnet(const data::Dataset& d) {
  ModelConfig config = config_for("resnet8");
  config.width = 4;
  config.in_channels = 1;
  config.input_size = d.height;
  config.num_classes = d.num_classes();
  config.mean = {0.5};
  config.std = {0.25};
  return config;
}

TrainOptions short_run() {
  TrainOptions options;
  options.epochs = 2;
  options.batch_size = 32;
  options.lr = 0.05;
  options.augment = {.crop_padding = 1, .horizontal_flip = true};
  options.seed = 7;
  return options;
}

bool same_weights(const Classifier& a, const Classifier& b) {
  const auto sa = a.state_dict(), sb = b.state_dict();
  if (sa.size() != sb.size()) return false;
  for (std::size_t i = 0; i < sa.size(); ++i) {
    const Tensor& x = sa[i].tensor;
    const Tensor& y = sb[i].tensor;
    const std::size_t bytes = std::size_t(x.numel()) * dtype_size(x.dtype());
    if (sa[i].name != sb[i].name || x.shape() != y.shape() ||
        std::memcmp(x.impl()->storage->data(), y.impl()->storage->data(), bytes) != 0)
      return false;
  }
  return true;
}

std::unique_ptr<Classifier> train_fully(const data::Dataset& d, const TrainOptions& options) {
  auto model = create_model(small_resnet(d), options.seed);
  Trainer trainer(*model, d, options);
  while (!trainer.finished()) trainer.run_epoch();
  return model;
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / name).string();
}

}  // namespace

TEST_CASE("training lowers the loss and learns the shapes") {
  const data::Dataset train = small_shapes(1, 300), test = small_shapes(2, 150);
  TrainOptions options = short_run();
  options.epochs = 6;
  options.lr = 0.1;
  options.augment = {};
  auto model = create_model(small_resnet(train), 0);
  Trainer trainer(*model, train, options);
  const EpochReport first = trainer.run_epoch();
  EpochReport last = first;
  while (!trainer.finished()) last = trainer.run_epoch();
  CHECK(last.loss < first.loss);
  CHECK(evaluate(*model, test).accuracy > 0.6);  // 3 classes: chance is 1/3
}

TEST_CASE("the same seed gives bit-identical weights and another seed does not") {
  const data::Dataset d = small_shapes(1);
  const auto a = train_fully(d, short_run());
  const auto b = train_fully(d, short_run());
  CHECK(same_weights(*a, *b));
  TrainOptions other = short_run();
  other.seed = 8;
  CHECK_FALSE(same_weights(*a, *train_fully(d, other)));
}

TEST_CASE("a run resumed from its checkpoint file ends with the uninterrupted run's weights") {
  const data::Dataset d = small_shapes(1);
  const auto uninterrupted = train_fully(d, short_run());

  const std::string checkpoint = temp_path("attrax_training_test.ckpt.safetensors");
  {
    auto model = create_model(small_resnet(d), short_run().seed);
    Trainer trainer(*model, d, short_run());
    trainer.run_epoch();
    save_model(checkpoint, *model, trainer.optimizer_state(), trainer.position_json());
  }
  ModelFileContents saved = load_model_file(checkpoint);
  std::filesystem::remove(checkpoint);
  Trainer trainer(*saved.model, d, short_run());
  trainer.resume(saved.train_state, saved.optimizer_state);
  CHECK(trainer.epoch() == 1);
  while (!trainer.finished()) trainer.run_epoch();
  CHECK(same_weights(*saved.model, *uninterrupted));
}

TEST_CASE("resume refuses a checkpoint trained with other options") {
  const data::Dataset d = small_shapes(1);
  auto model = create_model(small_resnet(d), 0);
  Trainer first(*model, d, short_run());
  first.run_epoch();
  TrainOptions other = short_run();
  other.batch_size = 16;
  Trainer second(*model, d, other);
  CHECK_THROWS_WITH_AS(second.resume(first.position_json(), first.optimizer_state()),
                       doctest::Contains("batch_size"), ValueError);
}

TEST_CASE("a non-finite loss stops training with a message naming the step") {
  const data::Dataset d = small_shapes(1);
  auto model = create_model(small_resnet(d), 0);
  TrainOptions options = short_run();
  options.schedule = "constant";
  options.lr = 1e30;
  Trainer trainer(*model, d, options);
  CHECK_THROWS_WITH_AS(while (!trainer.finished()) trainer.run_epoch(),
                       doctest::Contains("training diverged"), DivergedError);
}

TEST_CASE("a non-finite weight stops training at the end of the epoch, before a checkpoint") {
  const data::Dataset d = small_shapes(1, 32);
  auto model = create_model(small_resnet(d), 0);
  // A NaN running variance: training-mode batch norm normalises with batch statistics, so every
  // loss stays finite, but the running statistic (and so the eval-mode model) is garbage.
  auto& bn = dynamic_cast<nn::BatchNorm2d&>(model->module_at("bn1"));
  bn.running_var.data<float>()[0] = std::nanf("");
  Trainer trainer(*model, d, short_run());
  CHECK_THROWS_WITH_AS(trainer.run_epoch(), doctest::Contains("'bn1.running_var' holds nan"),
                       DivergedError);
}

TEST_CASE("training options are validated") {
  TrainOptions options;
  options.optimizer = "rmsprop";
  CHECK_THROWS_WITH_AS(options.validate(), doctest::Contains("unknown optimizer 'rmsprop'"),
                       ValueError);
  options = {};
  options.schedule = "linear";
  CHECK_THROWS_WITH_AS(options.validate(), doctest::Contains("unknown schedule 'linear'"),
                       ValueError);
  options = {};
  options.lr = 0;
  CHECK_THROWS_WITH_AS(options.validate(), doctest::Contains("lr must be > 0"), ValueError);
}
