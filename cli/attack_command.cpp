#include "cli/attack_command.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "adversarial/ensemble.hpp"
#include "adversarial/losses.hpp"
#include "cli/attack_options.hpp"
#include "engine/autograd.hpp"
#include "engine/ops.hpp"
#include "models/data/image_folder.hpp"
#include "models/model_file.hpp"
#include "nn/io/npy.hpp"
#include "nn/io/png.hpp"

namespace attrax::cli {
namespace {

std::set<std::string> command_flags() {
  std::set<std::string> flags{"--model", "--input", "--out", "--label", "--target", "--threads"};
  flags.insert(attack_flags().begin(), attack_flags().end());
  return flags;
}

// A .npy image as [1, C, H, W]: [H, W] (one channel), [C, H, W] or [1, C, H, W], values in [0, 1].
Tensor npy_image(const std::string& path, const models::ModelConfig& config) {
  Tensor t = nn::load_npy(path);
  if (t.dtype() != DType::Float32) t = t.to(DType::Float32);
  if (t.rank() == 2) t = t.reshape({1, 1, t.size(0), t.size(1)});
  else if (t.rank() == 3) t = t.reshape({1, t.size(0), t.size(1), t.size(2)});
  if (t.rank() != 4 || t.size(0) != 1 || t.size(1) != config.in_channels)
    throw UsageError("--input " + path + " holds " + t.shape().str() + "; the model takes one image of " +
                     std::to_string(config.in_channels) + " channel(s): [H, W], [C, H, W] or [1, C, H, W]");
  NoGradGuard no_grad;
  const double lo = -max(-t).item(), hi = max(t).item();
  if (!(lo >= 0.0 && hi <= 1.0))
    throw UsageError("--input " + path + " has values in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]; images must lie in [0, 1]");
  return t;
}

Tensor load_input(const std::string& path, const models::ModelConfig& config) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return npy_image(path, config);
  return data::load_image(path, config.in_channels, config.input_size, config.input_size);
}

struct Prediction {
  std::int64_t label;
  double probability;
};

Prediction predict(nn::Module& model, const Tensor& x) {
  model.eval();
  NoGradGuard no_grad;
  const Tensor p = softmax(model(x), 1);
  const std::int64_t label = adversarial::predictions(p)[0];
  return {label, p.at({0, label})};
}

std::int64_t class_option(const ParsedOptions& o, const std::string& flag, std::int64_t classes,
                          std::int64_t fallback) {
  const std::int64_t value = o.integer(flag, fallback, 0);
  if (value >= classes)
    throw UsageError(flag + " " + std::to_string(value) + " is not a class of the model (0.." +
                     std::to_string(classes - 1) + ")");
  return value;
}

// The model the attack sees: one file, or a comma-separated list fused in logits into an
// EnsembleModel with equal weights (Dong et al. 2018, §3.2), whose members must agree on the input
// and the classes.
struct AttackedModel {
  std::unique_ptr<nn::Module> model;
  models::ModelConfig config;
  std::vector<std::string> member_paths;  // more than one for an ensemble
};

AttackedModel load_attacked_model(const std::string& list) {
  AttackedModel m;
  m.member_paths = split_list("--model", list);
  std::vector<std::unique_ptr<nn::Module>> members;
  for (const std::string& path : m.member_paths) {
    std::unique_ptr<models::Classifier> member = models::load_model(path);
    const models::ModelConfig& c = member->config();
    if (members.empty()) m.config = c;
    else if (c.in_channels != m.config.in_channels || c.input_size != m.config.input_size ||
             c.num_classes != m.config.num_classes)
      throw UsageError("--model " + path + " takes " + std::to_string(c.in_channels) + " channel(s) of " +
                       std::to_string(c.input_size) + " px into " + std::to_string(c.num_classes) +
                       " classes, unlike " + m.member_paths[0] + " (" + std::to_string(m.config.in_channels) +
                       ", " + std::to_string(m.config.input_size) + ", " +
                       std::to_string(m.config.num_classes) + "); an ensemble's models must agree");
    members.push_back(std::move(member));
  }
  if (members.size() == 1) m.model = std::move(members[0]);
  else m.model = std::make_unique<adversarial::EnsembleModel>(std::move(members));
  return m;
}

void print_member_predictions(adversarial::EnsembleModel& ensemble, const std::vector<std::string>& paths,
                              const Tensor& x, const Tensor& x_adv) {
  for (std::size_t i = 0; i < ensemble.size(); ++i) {
    const Prediction before = predict(ensemble.member(i), x), after = predict(ensemble.member(i), x_adv);
    std::printf("  member %s: class %lld (p %.4f) -> class %lld (p %.4f)\n", paths[i].c_str(),
                static_cast<long long>(before.label), before.probability,
                static_cast<long long>(after.label), after.probability);
  }
}

}  // namespace

int run_attack(int argc, char** argv) {
  const ParsedOptions o(argc, argv, command_flags(), {});
  apply_threads(o);
  const std::string input = o.required("--input"), out_dir = o.required("--out");
  adversarial::AttackSpec spec = parse_attack_spec(o);
  spec.name = o.text("--attack", "pgd");
  const std::vector<double> eps = parse_eps_list(o);
  if (eps.size() != 1) throw UsageError("--eps takes one value for attrax attack");
  spec.threat.eps = eps[0];
  AttackedModel attacked = load_attacked_model(o.required("--model"));
  nn::Module& model = *attacked.model;
  const models::ModelConfig& config = attacked.config;
  const Tensor x = load_input(input, config);
  const Prediction before = predict(model, x);
  const std::int64_t label = class_option(o, "--label", config.num_classes, before.label);
  spec.targeted = o.has("--target");
  const std::int64_t goal = spec.targeted ? class_option(o, "--target", config.num_classes, 0) : label;
  std::unique_ptr<adversarial::Attack> attack;
  try {
    attack = adversarial::make_attack(spec);
  } catch (const ValueError& e) {
    throw UsageError(e.what());
  }
  const Tensor x_adv = (*attack)(model, x, Tensor::from_data(std::vector<std::int64_t>{goal}, {1}));
  const Prediction after = predict(model, x_adv);

  std::filesystem::create_directories(out_dir);
  const std::string stem = (std::filesystem::path(out_dir) / std::filesystem::path(input).stem()).string();
  const Tensor image = x_adv.reshape({config.in_channels, x_adv.size(2), x_adv.size(3)});
  nn::save_npy(stem + "-adv.npy", image);
  nn::save_png(stem + "-adv.png", image);
  NoGradGuard no_grad;
  const double linf = max(abs(x_adv - x)).item(), l2 = std::sqrt(sum((x_adv - x) * (x_adv - x)).item());
  std::printf("%s eps %g (%s): class %lld (p %.4f) -> class %lld (p %.4f), |d|inf %.4f, |d|2 %.4f\n",
              attack->name().c_str(), spec.threat.eps, adversarial::norm_name(spec.threat.norm).c_str(),
              static_cast<long long>(before.label), before.probability,
              static_cast<long long>(after.label), after.probability, linf, l2);
  if (auto* ensemble = dynamic_cast<adversarial::EnsembleModel*>(&model))
    print_member_predictions(*ensemble, attacked.member_paths, x, x_adv);
  std::printf("wrote %s-adv.png and %s-adv.npy\n", stem.c_str(), stem.c_str());
  return 0;
}

}  // namespace attrax::cli
