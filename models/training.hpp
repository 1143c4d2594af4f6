#pragma once
// Supervised training of a Classifier: mini-batches from data::Loader, a loss per batch (cross-entropy
// by default; adversarial training substitutes its own), an optimizer and a learning-rate schedule
// stepped per update. The position (epoch, step) and the optimizer state are exported for
// checkpoints, and resuming from them continues bit for bit: batch (epoch, step) and every lr are
// pure functions of the options and the position.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/classifier.hpp"
#include "models/data/loader.hpp"
#include "nn/optim/lr_schedule.hpp"
#include "nn/optim/optimizer.hpp"

namespace attrax::models {

struct TrainOptions {
  std::int64_t epochs = 10;
  std::int64_t batch_size = 128;
  std::string optimizer = "sgd";    // sgd | adam | adamw
  double lr = 0.1;                  // the base lr (the peak lr of onecycle and cyclic)
  double momentum = 0.9;            // sgd
  bool nesterov = true;             // sgd
  double weight_decay = 5e-4;
  std::string schedule = "onecycle";  // constant | step | cosine | onecycle | cyclic
  std::int64_t step_epochs = 0;     // step: decay by 10x every this many epochs (0: epochs / 3)
  data::AugmentOptions augment;
  std::uint64_t seed = 0;
  // What the batch loss is ("cross_entropy", or an adversarial recipe's description): recorded in
  // checkpoints so that a resumed run must use the same one.
  std::string loss = "cross_entropy";

  // ValueError naming the option for an unknown optimizer or schedule or a non-positive size/lr.
  void validate() const;
};

// What one batch costs: the loss to minimise and the logits its accuracy is read from.
struct BatchLoss {
  Tensor loss;    // scalar
  Tensor logits;  // [n, classes]
};
using BatchLossFunction = std::function<BatchLoss(Classifier&, const data::Batch&)>;

// loss = cross_entropy(model(images), labels)
BatchLoss cross_entropy_loss(Classifier& model, const data::Batch& batch);

struct StepReport {
  std::int64_t epoch = 0, step = 0, steps_per_epoch = 0;
  double loss = 0;       // this batch
  double accuracy = 0;   // running over the epoch so far
  double lr = 0;
  double images_per_second = 0;  // over the epoch so far
};

struct EpochReport {
  std::int64_t epoch = 0;
  double loss = 0, accuracy = 0;  // means over the epoch's images
  double seconds = 0;
};

// The loss became NaN or infinite: training stops; the last checkpoint stays as it was.
class DivergedError : public Error {
 public:
  using Error::Error;
};

class Trainer {
 public:
  // Holds references to model and data; the model is put in training mode by each epoch.
  Trainer(Classifier& model, const data::Dataset& train, const TrainOptions& options,
          BatchLossFunction loss = cross_entropy_loss);

  // Restores a position and optimizer state exported by position_json() / optimizer_state().
  // ValueError when the state belongs to different options (epochs, batch size, optimizer, seed).
  void resume(const std::string& position_json, const std::vector<nn::NamedTensor>& state);

  // Trains from the current position to the end of the current epoch, calling on_step after every
  // update. Throws DivergedError naming the epoch, step and lr on a non-finite loss, and naming the
  // tensor when a weight is not finite at the end of the epoch.
  EpochReport run_epoch(const std::function<void(const StepReport&)>& on_step = {});

  bool finished() const { return epoch_ >= options_.epochs; }
  std::int64_t epoch() const { return epoch_; }
  std::int64_t steps_per_epoch() const { return loader_.steps_per_epoch(); }
  // {"epoch", "step", "options": {...}}: where training continues.
  std::string position_json() const;
  std::vector<nn::NamedTensor> optimizer_state() const { return optimizer_->state(); }

 private:
  Classifier& model_;
  TrainOptions options_;
  BatchLossFunction loss_;
  data::Loader loader_;
  std::unique_ptr<nn::Optimizer> optimizer_;
  std::unique_ptr<nn::LrSchedule> schedule_;
  std::int64_t epoch_ = 0, step_ = 0;
};

}  // namespace attrax::models
