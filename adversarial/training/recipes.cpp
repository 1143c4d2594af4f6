#include "adversarial/training/recipes.hpp"

#include <cmath>
#include <sstream>

#include "adversarial/attacks/pgd.hpp"
#include "adversarial/losses.hpp"
#include "adversarial/random_streams.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

// SplitMix64's finaliser: a well-mixed 64-bit value from a counter.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The attack seed of batch (epoch, step): distinct per batch, fixed by the run's seed.
std::uint64_t batch_seed(std::uint64_t seed, const data::Batch& batch) {
  return mix(mix(mix(seed ^ kAdversarialTrainingStream) + std::uint64_t(batch.epoch)) +
             std::uint64_t(batch.step));
}

// PGD with the recipe's budget, steps and α, seeded for this batch.
Tensor pgd_examples(const AdversarialTrainingOptions& o, models::Classifier& model,
                    const data::Batch& batch) {
  Pgd attack({.threat = o.threat, .steps = o.steps, .alpha = o.alpha, .random_start = true,
              .seed = batch_seed(o.seed, batch)});
  return attack(model, batch.images, batch.labels);
}

// loss = CE(f(x'), y), x' from PGD (one step of 1.25ε for fgsm)
models::BatchLoss attack_then_cross_entropy(const AdversarialTrainingOptions& o,
                                            models::Classifier& model, const data::Batch& batch) {
  const Tensor x_adv = pgd_examples(o, model, batch);
  const Tensor logits = model(x_adv);
  return {cross_entropy(logits, batch.labels), logits};
}

// x' ← Π(x' + α · sign(∇_{x'} KL(p(x) ‖ p(x')))) for K steps from x + 0.001·N(0, 1), p(x) fixed
Tensor trades_examples(const AdversarialTrainingOptions& o, models::Classifier& model,
                       const data::Batch& batch, const Tensor& clean_logits) {
  Generator gen(batch_seed(o.seed, batch), kAttackStream);
  EvalModeGuard eval_mode(model);
  const Tensor x = batch.images;
  Tensor x_adv;
  {
    NoGradGuard no_grad;
    x_adv = project(x + 0.001 * Tensor::randn(x.shape(), gen), x, o.threat);
  }
  const Tensor fixed_clean = clean_logits.detach();
  const SampleLoss kl = [&](const Tensor& logits, const Tensor&) {
    const Tensor p = softmax(fixed_clean);
    return sum(p * (log_softmax(fixed_clean) - log_softmax(logits)), {1});
  };
  for (std::int64_t k = 0; k < o.steps; ++k) {
    const Tensor g = loss_gradient(model, x_adv, batch.labels, kl).gradient;
    NoGradGuard no_grad;
    x_adv = project(x_adv + o.alpha * ascent_direction(g, o.threat.norm), x, o.threat);
  }
  return x_adv;
}

models::BatchLoss trades(const AdversarialTrainingOptions& o, models::Classifier& model,
                         const data::Batch& batch) {
  Tensor clean_for_attack;
  {
    EvalModeGuard eval_mode(model);
    NoGradGuard no_grad;
    clean_for_attack = model(batch.images);
  }
  const Tensor x_adv = trades_examples(o, model, batch, clean_for_attack);
  const std::int64_t n = batch.images.size(0);
  const Tensor logits = model(concat({batch.images, x_adv}, 0));
  const Tensor clean = slice(logits, 0, 0, n), adversarial = slice(logits, 0, n, 2 * n);
  // CE(f(x), y) + β · mean_n KL(p(x_n) ‖ p(x'_n))
  return {cross_entropy(clean, batch.labels) + o.beta * mean_kl_divergence(clean, adversarial),
          clean};
}

models::BatchLoss consistency(const AdversarialTrainingOptions& o, models::Classifier& model,
                              const data::Batch& batch) {
  const Tensor x_adv = pgd_examples(o, model, batch);
  nn::Module& layer = model.module_at(o.layer);
  Tensor features;
  layer.set_forward_hook([&features](const Tensor& out) {
    features = out;
    return out;
  });
  Tensor logits;
  try {
    logits = model(concat({batch.images, x_adv}, 0));
  } catch (...) {
    layer.set_forward_hook(nullptr);
    throw;
  }
  layer.set_forward_hook(nullptr);
  const std::int64_t n = batch.images.size(0);
  const Tensor clean = slice(logits, 0, 0, n), adversarial = slice(logits, 0, n, 2 * n);
  // CE(f(x), y) + CE(f(x*), y) + λ · mean_n ‖φ_l(x_n) − φ_l(x*_n)‖²
  const Tensor loss = cross_entropy(clean, batch.labels) + cross_entropy(adversarial, batch.labels) +
                      o.lambda * mean_squared_distance(slice(features, 0, 0, n),
                                                       slice(features, 0, n, 2 * n));
  return {loss, clean};
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

void AdversarialTrainingOptions::validate() const {
  if (method != "fgsm" && method != "pgd" && method != "trades" && method != "consistency")
    throw ValueError("adversarial training: unknown method '" + method +
                     "' (expected fgsm, pgd, trades or consistency)");
  threat.validate();
  if (steps < 0) throw ValueError("steps: " + std::to_string(steps) + " must be >= 0");
  if (!std::isfinite(alpha) || alpha < 0)
    throw ValueError("alpha: " + format_number(alpha) + " must be a finite number >= 0");
  if (!std::isfinite(beta) || beta < 0)
    throw ValueError("beta: " + format_number(beta) + " must be a finite number >= 0");
  if (!std::isfinite(lambda) || lambda < 0)
    throw ValueError("lambda: " + format_number(lambda) + " must be a finite number >= 0");
  if (method == "consistency" && layer.empty())
    throw ValueError("layer: consistency training needs a layer name (e.g. layer3)");
}

AdversarialTrainingOptions AdversarialTrainingOptions::resolved() const {
  AdversarialTrainingOptions o = *this;
  if (o.steps == 0) o.steps = method == "pgd" ? 7 : method == "trades" ? 10 : 1;
  if (o.alpha == 0) o.alpha = o.steps == 1 ? 1.25 * o.threat.eps : default_step_size(o.threat.eps, o.steps);
  return o;
}

std::string AdversarialTrainingOptions::describe() const {
  const AdversarialTrainingOptions o = resolved();
  std::string text = o.method + " " + norm_name(o.threat.norm) + " eps=" + format_number(o.threat.eps) +
                     " steps=" + std::to_string(o.steps) + " alpha=" + format_number(o.alpha);
  if (o.method == "trades") text += " beta=" + format_number(o.beta);
  if (o.method == "consistency") text += " lambda=" + format_number(o.lambda) + " layer=" + o.layer;
  return text;
}

models::BatchLossFunction adversarial_loss(const AdversarialTrainingOptions& options) {
  options.validate();
  const AdversarialTrainingOptions o = options.resolved();
  if (o.method == "trades")
    return [o](models::Classifier& model, const data::Batch& batch) { return trades(o, model, batch); };
  if (o.method == "consistency")
    return [o](models::Classifier& model, const data::Batch& batch) {
      return consistency(o, model, batch);
    };
  return [o](models::Classifier& model, const data::Batch& batch) {
    return attack_then_cross_entropy(o, model, batch);
  };
}

Tensor mean_kl_divergence(const Tensor& clean_logits, const Tensor& adversarial_logits) {
  // mean_n Σ_k p_nk (log p_nk − log q_nk)
  const Tensor log_p = log_softmax(clean_logits), log_q = log_softmax(adversarial_logits);
  return mean(sum(exp(log_p) * (log_p - log_q), {1}));
}

Tensor mean_squared_distance(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    throw ShapeError("mean_squared_distance: feature shapes differ: " + a.shape().str() + " and " +
                     b.shape().str());
  const Tensor d = flatten(a - b, 1);
  // mean_n Σ_j (a_nj − b_nj)²
  return mean(sum(d * d, {1}));
}

}  // namespace attrax::adversarial
