#include "models/training.hpp"

#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "engine/ops/loss.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"

namespace attrax::models {

namespace {

using Clock = std::chrono::steady_clock;

nlohmann::json options_json(const TrainOptions& o) {
  return {{"epochs", o.epochs},       {"batch_size", o.batch_size}, {"optimizer", o.optimizer},
          {"lr", o.lr},               {"momentum", o.momentum},     {"nesterov", o.nesterov},
          {"weight_decay", o.weight_decay}, {"schedule", o.schedule},
          {"step_epochs", o.step_epochs},   {"crop_padding", o.augment.crop_padding},
          {"horizontal_flip", o.augment.horizontal_flip}, {"seed", o.seed},
          {"loss", o.loss}};
}

std::unique_ptr<nn::Optimizer> make_optimizer(const TrainOptions& o, std::vector<Tensor> params) {
  if (o.optimizer == "sgd")
    return std::make_unique<nn::Sgd>(std::move(params),
                                     nn::SgdOptions{.lr = o.lr, .momentum = o.momentum,
                                                    .weight_decay = o.weight_decay,
                                                    .nesterov = o.nesterov && o.momentum > 0});
  const nn::AdamOptions adam{.lr = o.lr, .weight_decay = o.weight_decay};
  if (o.optimizer == "adam") return std::make_unique<nn::Adam>(std::move(params), adam);
  return std::make_unique<nn::AdamW>(std::move(params), adam);
}

std::unique_ptr<nn::LrSchedule> make_schedule(const TrainOptions& o, std::int64_t steps_per_epoch) {
  const std::int64_t total = o.epochs * steps_per_epoch;
  if (o.schedule == "constant") return std::make_unique<nn::ConstantLr>(o.lr);
  if (o.schedule == "step") {
    const std::int64_t every = o.step_epochs > 0 ? o.step_epochs : std::max<std::int64_t>(1, o.epochs / 3);
    return std::make_unique<nn::StepLr>(o.lr, every * steps_per_epoch, 0.1);
  }
  if (o.schedule == "cosine") return std::make_unique<nn::CosineLr>(o.lr, total);
  if (o.schedule == "onecycle") return std::make_unique<nn::OneCycleLr>(o.lr, total);
  // cyclic: triangular cycles of two epochs from lr / 10 to lr.
  return std::make_unique<nn::CyclicLr>(o.lr / 10, o.lr, steps_per_epoch);
}

// Number of rows whose largest logit is at the label.
std::int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  const float* z = logits.data<float>();
  const std::int64_t* y = labels.data<std::int64_t>();
  const std::int64_t n = logits.size(0), classes = logits.size(1);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = z + i * classes;
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    correct += best == y[i];
  }
  return correct;
}

// Throws DivergedError naming the first parameter or buffer holding a NaN or an infinity.
void require_finite_weights(const Classifier& model, std::int64_t epoch) {
  for (const nn::NamedTensor& entry : model.state_dict()) {
    if (entry.tensor.dtype() != DType::Float32) continue;
    const float* v = entry.tensor.data<float>();
    for (std::int64_t i = 0; i < entry.tensor.numel(); ++i)
      if (!std::isfinite(v[i]))
        throw DivergedError("training diverged: '" + entry.name + "' holds " +
                            std::to_string(v[i]) + " after epoch " + std::to_string(epoch + 1) +
                            "; try a lower --lr");
  }
}

}  // namespace

void TrainOptions::validate() const {
  if (epochs < 1) throw ValueError("train: epochs must be >= 1, got " + std::to_string(epochs));
  if (batch_size < 1)
    throw ValueError("train: batch size must be >= 1, got " + std::to_string(batch_size));
  if (optimizer != "sgd" && optimizer != "adam" && optimizer != "adamw")
    throw ValueError("train: unknown optimizer '" + optimizer + "'; expected sgd, adam or adamw");
  if (schedule != "constant" && schedule != "step" && schedule != "cosine" &&
      schedule != "onecycle" && schedule != "cyclic")
    throw ValueError("train: unknown schedule '" + schedule +
                     "'; expected constant, step, cosine, onecycle or cyclic");
  if (!(lr > 0)) throw ValueError("train: lr must be > 0, got " + std::to_string(lr));
  if (momentum < 0 || weight_decay < 0)
    throw ValueError("train: momentum and weight decay must be >= 0");
}

BatchLoss cross_entropy_loss(Classifier& model, const data::Batch& batch) {
  Tensor logits = model(batch.images);
  return {cross_entropy(logits, batch.labels), logits};
}

Trainer::Trainer(Classifier& model, const data::Dataset& train, const TrainOptions& options,
                 BatchLossFunction loss)
    : model_(model),
      options_(options),
      loss_(std::move(loss)),
      loader_(train, {.batch_size = options.batch_size, .shuffle = true,
                      .augment = options.augment, .seed = options.seed}) {
  options_.validate();
  optimizer_ = make_optimizer(options_, model_.parameters());
  schedule_ = make_schedule(options_, loader_.steps_per_epoch());
}

std::string Trainer::position_json() const {
  return nlohmann::json{{"epoch", epoch_}, {"step", step_}, {"options", options_json(options_)}}
      .dump();
}

void Trainer::resume(const std::string& position_json, const std::vector<nn::NamedTensor>& state) {
  nlohmann::json position;
  try {
    position = nlohmann::json::parse(position_json);
    epoch_ = position.at("epoch").get<std::int64_t>();
    step_ = position.at("step").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("resume: the checkpoint's training state is malformed (") +
                     e.what() + ")");
  }
  nlohmann::json saved = position.value("options", nlohmann::json::object());
  const nlohmann::json current = options_json(options_);
  if (!saved.contains("loss")) saved["loss"] = "cross_entropy";
  for (const char* key : {"epochs", "batch_size", "optimizer", "seed", "loss"})
    if (saved.value(key, nlohmann::json()) != current.at(key))
      throw ValueError(std::string("resume: the checkpoint was trained with ") + key + " = " +
                       saved.value(key, nlohmann::json()).dump() + ", not " +
                       current.at(key).dump());
  if (epoch_ < 0 || step_ < 0 || step_ > loader_.steps_per_epoch())
    throw ValueError("resume: position epoch " + std::to_string(epoch_) + ", step " +
                     std::to_string(step_) + " is outside the run");
  optimizer_->load_state(state);
}

EpochReport Trainer::run_epoch(const std::function<void(const StepReport&)>& on_step) {
  model_.train();
  const auto start = Clock::now();
  const std::int64_t steps = loader_.steps_per_epoch();
  double loss_sum = 0;
  std::int64_t seen = 0, correct = 0;
  for (; step_ < steps; ++step_) {
    const data::Batch batch = loader_.batch(epoch_, step_);
    const double lr = schedule_->lr_at(epoch_ * steps + step_);
    optimizer_->set_lr(lr);
    optimizer_->zero_grad();
    const BatchLoss result = loss_(model_, batch);
    const double loss = result.loss.item();
    if (!std::isfinite(loss))
      throw DivergedError("training diverged: the loss is " + std::to_string(loss) + " at epoch " +
                          std::to_string(epoch_ + 1) + ", step " + std::to_string(step_ + 1) +
                          " (lr " + std::to_string(lr) + "); try a lower --lr");
    result.loss.backward();
    optimizer_->step();
    const std::int64_t n = batch.labels.numel();
    loss_sum += loss * double(n);
    seen += n;
    correct += count_correct(result.logits.detach(), batch.labels);
    if (on_step) {
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      on_step({.epoch = epoch_, .step = step_, .steps_per_epoch = steps, .loss = loss,
               .accuracy = double(correct) / double(seen), .lr = lr,
               .images_per_second = double(seen) / std::max(seconds, 1e-9)});
    }
  }
  require_finite_weights(model_, epoch_);
  EpochReport report{.epoch = epoch_,
                     .loss = seen ? loss_sum / double(seen) : 0.0,
                     .accuracy = seen ? double(correct) / double(seen) : 0.0,
                     .seconds = std::chrono::duration<double>(Clock::now() - start).count()};
  ++epoch_;
  step_ = 0;
  return report;
}

}  // namespace attrax::models
