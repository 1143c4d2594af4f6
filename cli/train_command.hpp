#pragma once
// `attrax train`: trains a registry model on a dataset, with a live progress line, a checkpoint after
// every epoch (atomic), --resume from a checkpoint, a JSON log, and the final model file; `--adv`
// trains adversarially (fgsm, pgd, trades, consistency), and fgsm watches for catastrophic
// overfitting on held-out images, rolling back to the best epoch when robustness collapses.
#include <memory>
#include <optional>
#include <string>

#include "adversarial/training/recipes.hpp"
#include "cli/data_source.hpp"
#include "models/classifier.hpp"
#include "models/training.hpp"

namespace attrax::cli {

struct TrainJob {
  std::string model = "resnet8";   // registry name (ignored when resuming: the checkpoint's wins)
  std::int64_t width = 0;          // 0: the registry default
  std::string activation = "relu";
  DataRequest data;
  std::int64_t limit = 0;          // train on the first `limit` images (0: all)
  models::TrainOptions options;
  std::string out = "model.safetensors";
  std::string checkpoint;          // default: <out stem>.ckpt.safetensors
  std::string log;                 // default: <out stem>.log.json
  std::string resume;              // a checkpoint to continue from
  // --adv: adversarial training with this recipe instead of plain cross-entropy.
  std::optional<adversarial::AdversarialTrainingOptions> adversarial;
  // Images held out of training to watch for catastrophic overfitting (fgsm recipe; 0: off).
  std::int64_t overfit_holdout = 512;
};

// Runs the job and writes the model file; returns the trained model.
std::unique_ptr<models::Classifier> run_training(const TrainJob& job);

// Parses the command line into a job, runs it; returns the exit code.
int run_train(int argc, char** argv);

}  // namespace attrax::cli
