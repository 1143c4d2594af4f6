#include "cli/train_command.hpp"

#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/options.hpp"
#include "cli/overfitting_watch.hpp"
#include "cli/progress.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"
#include "nn/io/atomic_file.hpp"

namespace attrax::cli {

namespace {

constexpr const char* kSuffix = ".safetensors";

constexpr const char* kTrainUsage =
    "usage: attrax train [options]\n"
    "  --model NAME          resnet8|14|20|32|44|56, preact_resnet8|..., rar_cnn, mlp (resnet8)\n"
    "  --width N             first-stage channels (ResNets) or hidden units (mlp)\n"
    "  --activation A        relu, leaky_relu[:slope], softplus[:beta], leaky_softplus[:slope[:beta]]\n"
    "  --data D              fmnist[:DIR], idx:IMAGES,LABELS, folder:ROOT, shapes[:COUNT] (fmnist)\n"
    "  --size N --channels C image side and channels for folder: and shapes: data (32, 3)\n"
    "  --limit N             train on the first N images\n"
    "  --epochs N --batch N  (10, 128)\n"
    "  --optimizer O         sgd (Nesterov momentum 0.9), adam, adamw (sgd)\n"
    "  --lr X                base / peak learning rate (0.1 for sgd, 0.001 otherwise)\n"
    "  --momentum X --weight-decay X --no-nesterov\n"
    "  --schedule S          constant, step, cosine, onecycle, cyclic (onecycle)\n"
    "  --step-epochs N       step schedule: divide the lr by 10 every N epochs (epochs / 3)\n"
    "  --crop-padding N --flip   augmentation: random crops of the N-padded image, mirror flips\n"
    "  --seed S              initialisation, data order and augmentation (0)\n"
    "  --out FILE            the model file (model.safetensors); the checkpoint after every epoch\n"
    "                        goes to FILE's stem + .ckpt.safetensors and the JSON log to .log.json\n"
    "  --checkpoint FILE --log FILE   other places for them\n"
    "  --resume CKPT         continue a run from its checkpoint (same options)\n"
    "  --threads N           worker threads\n"
    "adversarial training:\n"
    "  --adv R               fgsm (fast FGSM-AT), pgd (Madry), trades, consistency (Dong et al.)\n"
    "  --eps E --adv-norm N  budget and norm, linf or l2 (0.1, linf)\n"
    "  --adv-steps K --adv-alpha A   inner attack steps and step size (fgsm 1 / 1.25 eps,\n"
    "                        pgd 7, trades 10, consistency 1; alpha 2.5 eps / K)\n"
    "  --beta B              trades: weight of the KL term (6)\n"
    "  --lambda L --layer M  consistency: weight of the feature term and its layer (1, layer3)\n"
    "  --overfit-holdout N   fgsm: training images held out to detect catastrophic overfitting\n"
    "                        by PGD-10 accuracy after every epoch; 0 turns it off (512)\n";

std::string stem(const std::string& path) {
  const std::string suffix = kSuffix;
  const bool has_suffix = path.size() > suffix.size() &&
                          path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  return has_suffix ? path.substr(0, path.size() - suffix.size()) : path;
}

// Per-channel mean and standard deviation of the pixels in [0, 1]:
//   mean_c = Σ x / n,  std_c = sqrt(Σ x² / n − mean_c²)
void channel_statistics(const data::Dataset& d, std::vector<double>& mean, std::vector<double>& std) {
  const std::int64_t plane = d.height * d.width;
  mean.assign(std::size_t(d.channels), 0.0);
  std.assign(std::size_t(d.channels), 0.0);
  for (std::int64_t c = 0; c < d.channels; ++c) {
    double sum = 0, sum_sq = 0;
    for (std::int64_t i = 0; i < d.count; ++i) {
      const std::uint8_t* p = d.pixels.data() + (i * d.channels + c) * plane;
      for (std::int64_t k = 0; k < plane; ++k) {
        const double x = p[k] / 255.0;
        sum += x;
        sum_sq += x * x;
      }
    }
    const double n = double(d.count * plane);
    mean[std::size_t(c)] = sum / n;
    std[std::size_t(c)] = std::sqrt(std::max(sum_sq / n - mean[std::size_t(c)] * mean[std::size_t(c)],
                                             1e-12));
  }
}

models::ModelConfig config_for_data(const TrainJob& job, const data::Dataset& d) {
  models::ModelConfig config = models::config_for(job.model);
  if (job.width > 0) config.width = job.width;
  config.activation = job.activation;
  config.in_channels = d.channels;
  config.input_size = d.height;
  config.num_classes = d.num_classes();
  channel_statistics(d, config.mean, config.std);
  return config;
}

// The JSON log: the model, the options and one entry per finished epoch, rewritten atomically after
// every epoch. A resumed run keeps the entries of the epochs before its starting point.
class TrainLog {
 public:
  TrainLog(std::string path, const models::ModelConfig& config, std::int64_t first_epoch,
           const std::string& position)
      : path_(std::move(path)) {
    log_ = {{"model", config}, {"training", nlohmann::json::parse(position).at("options")},
            {"epochs", nlohmann::json::array()}};
    keep_earlier_epochs(first_epoch);
  }
  void add(const models::EpochReport& e, std::int64_t images, const nlohmann::json& extra = {}) {
    nlohmann::json entry{{"epoch", e.epoch + 1}, {"loss", e.loss},
                         {"train_accuracy", e.accuracy}, {"seconds", e.seconds},
                         {"images_per_second", double(images) / std::max(e.seconds, 1e-9)}};
    if (extra.is_object()) entry.update(extra);
    log_["epochs"].push_back(entry);
    nn::write_file_atomically(path_, [&](std::ostream& out) { out << log_.dump(2) << "\n"; });
  }

 private:
  void keep_earlier_epochs(std::int64_t first_epoch) {
    std::ifstream in(path_);
    if (!in || first_epoch == 0) return;
    const nlohmann::json old = nlohmann::json::parse(in, nullptr, false);
    if (old.is_discarded() || !old.contains("epochs") || !old["epochs"].is_array()) return;
    for (const nlohmann::json& entry : old["epochs"])
      if (entry.value("epoch", std::int64_t(0)) <= first_epoch) log_["epochs"].push_back(entry);
  }
  std::string path_;
  nlohmann::json log_;
};

adversarial::AdversarialTrainingOptions parse_adversarial(const ParsedOptions& o) {
  adversarial::AdversarialTrainingOptions a;
  a.method = o.text("--adv", a.method);
  try {
    a.threat.norm = adversarial::parse_norm(o.text("--adv-norm", "linf"));
  } catch (const ValueError& e) {
    throw UsageError(std::string("--adv-norm: ") + e.what());
  }
  a.threat.eps = o.number("--eps", a.threat.eps, 0.0);
  a.steps = o.integer("--adv-steps", 0, 1);
  a.alpha = o.number("--adv-alpha", 0.0, 0.0);
  a.beta = o.number("--beta", a.beta, 0.0);
  a.lambda = o.number("--lambda", a.lambda, 0.0);
  a.layer = o.text("--layer", a.layer);
  a.seed = std::uint64_t(o.integer("--seed", 0, 0));
  return a;
}

}  // namespace

std::unique_ptr<models::Classifier> run_training(const TrainJob& job) {
  data::Dataset train = load_data(job.data);
  if (job.limit > 0) train = train.head(job.limit);
  std::unique_ptr<models::Classifier> model;
  std::vector<nn::NamedTensor> optimizer_state;
  std::string position;
  if (!job.resume.empty()) {
    models::ModelFileContents checkpoint = models::load_model_file(job.resume);
    if (checkpoint.train_state.empty())
      throw UsageError("--resume " + job.resume + " is a model file without training state; "
                       "resume from the .ckpt.safetensors checkpoint");
    model = std::move(checkpoint.model);
    optimizer_state = std::move(checkpoint.optimizer_state);
    position = checkpoint.train_state;
  } else {
    model = models::create_model(config_for_data(job, train), job.options.seed);
  }
  models::TrainOptions options = job.options;
  models::BatchLossFunction loss = models::cross_entropy_loss;
  if (job.adversarial) {
    if (job.adversarial->method == "consistency") model->module_at(job.adversarial->layer);
    options.loss = job.adversarial->describe();
    loss = adversarial::adversarial_loss(*job.adversarial);
  }
  std::optional<OverfittingWatch> watch;
  if (job.adversarial && job.adversarial->method == "fgsm" && job.overfit_holdout > 0)
    watch.emplace(train, job.overfit_holdout, *job.adversarial);
  models::Trainer trainer(*model, train, options, loss);
  if (!position.empty()) trainer.resume(position, optimizer_state);

  const std::string checkpoint = job.checkpoint.empty() ? stem(job.out) + ".ckpt" + kSuffix
                                                         : job.checkpoint;
  TrainLog log(job.log.empty() ? stem(job.out) + ".log.json" : job.log, model->config(),
               trainer.epoch(), trainer.position_json());
  std::cerr << "training " << model->config().summary() << ", " << model->parameter_count()
            << " parameters, on " << train.count << " images"
            << (trainer.epoch() > 0 ? ", resumed at epoch " + std::to_string(trainer.epoch() + 1)
                                    : std::string())
            << (job.adversarial ? ", adversarially: " + options.loss : std::string()) << "\n";
  ProgressLine progress(job.options.epochs, job.options.epochs * trainer.steps_per_epoch());
  while (!trainer.finished()) {
    const models::EpochReport epoch =
        trainer.run_epoch([&](const models::StepReport& step) { progress.update(step); });
    progress.finish_epoch(epoch);
    nlohmann::json extra = nlohmann::json::object();
    if (watch) {
      std::string report;
      const bool collapsed = watch->collapsed_after(*model, epoch.epoch + 1, report);
      std::cerr << "  " << report << "\n";
      extra = {{"heldout_pgd_accuracy", watch->last_accuracy()}, {"collapsed", collapsed}};
      if (collapsed) {
        log.add(epoch, train.count, extra);
        std::cerr << "catastrophic overfitting after epoch " << epoch.epoch + 1
                  << ": stopped and rolled back to the weights of epoch " << watch->best_epoch()
                  << "\n";
        break;
      }
    }
    // The log first: a run killed between the two writes resumes from the previous checkpoint,
    // and the resumed log drops the entry of the epoch it runs again.
    log.add(epoch, train.count, extra);
    models::save_model(checkpoint, *model, trainer.optimizer_state(), trainer.position_json());
  }
  models::save_model(job.out, *model);
  std::cerr << "wrote " << job.out << " (checkpoint " << checkpoint << ")\n";
  return model;
}

int run_train(int argc, char** argv) {
  if (argc == 1 && std::string(argv[0]) == "--help") {
    std::cout << kTrainUsage;
    return 0;
  }
  const ParsedOptions o(argc, argv,
                        {"--model", "--width", "--activation", "--data", "--size", "--channels",
                         "--limit", "--epochs", "--batch", "--lr", "--optimizer", "--momentum",
                         "--weight-decay", "--schedule", "--step-epochs", "--crop-padding", "--seed",
                         "--out", "--checkpoint", "--log", "--resume", "--threads", "--adv", "--eps",
                         "--adv-norm", "--adv-steps", "--adv-alpha", "--beta", "--lambda", "--layer",
                         "--overfit-holdout"},
                        {"--flip", "--no-nesterov"});
  apply_threads(o);
  TrainJob job;
  job.model = o.text("--model", job.model);
  job.width = o.integer("--width", 0, 1);
  job.activation = o.text("--activation", job.activation);
  job.data = {.spec = o.text("--data", "fmnist"), .purpose = DataPurpose::Train,
              .size = o.integer("--size", 32, 4), .channels = o.integer("--channels", 3, 1)};
  job.limit = o.integer("--limit", 0, 1);
  models::TrainOptions& t = job.options;
  t.epochs = o.integer("--epochs", t.epochs, 1);
  t.batch_size = o.integer("--batch", t.batch_size, 1);
  t.optimizer = o.text("--optimizer", t.optimizer);
  t.lr = o.number("--lr", t.optimizer == "sgd" ? 0.1 : 1e-3, 0.0);
  t.momentum = o.number("--momentum", t.momentum, 0.0);
  t.nesterov = !o.has("--no-nesterov");
  t.weight_decay = o.number("--weight-decay", t.optimizer == "adamw" ? 1e-2 : t.weight_decay, 0.0);
  t.schedule = o.text("--schedule", t.schedule);
  t.step_epochs = o.integer("--step-epochs", 0, 1);
  t.augment = {.crop_padding = o.integer("--crop-padding", 0, 0), .horizontal_flip = o.has("--flip")};
  t.seed = std::uint64_t(o.integer("--seed", 0, 0));
  job.out = o.text("--out", job.out);
  job.checkpoint = o.text("--checkpoint", "");
  job.log = o.text("--log", "");
  job.resume = o.text("--resume", "");
  job.overfit_holdout = o.integer("--overfit-holdout", job.overfit_holdout, 0);
  if (o.has("--adv")) job.adversarial = parse_adversarial(o);
  try {
    t.validate();
    if (job.adversarial) job.adversarial->validate();
  } catch (const ValueError& e) {
    throw UsageError(e.what());
  }
  run_training(job);
  return 0;
}

}  // namespace attrax::cli
