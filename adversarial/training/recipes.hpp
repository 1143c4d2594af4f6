#pragma once
// Adversarial training recipes as batch losses for models::Trainer: the attack runs on the batch in
// eval mode (input gradients only), then the loss is computed in training mode.
//   fgsm        fast FGSM-AT (Wong et al. 2020): random start δ ~ U(−ε, ε), one step of α = 1.25ε,
//               loss CE(f(x + δ), y)
//   pgd         PGD-AT (Madry et al. 2018): K steps of α from a random start, loss CE(f(x'), y)
//   trades      TRADES (Zhang et al. 2019): x' maximises KL(p(x) ‖ p(x')) by K steps from
//               x + 0.001·N(0, 1); loss CE(f(x), y) + β · mean_n KL(p(x_n) ‖ p(x'_n))
//   consistency adversarial training with a consistent loss (Dong et al. 2017): x* from PGD; loss
//               CE(f(x), y) + CE(f(x*), y) + λ · mean_n ‖φ_l(x_n) − φ_l(x*_n)‖²₂ on layer l
#include <cstdint>
#include <string>

#include "adversarial/threat.hpp"
#include "models/training.hpp"

namespace attrax::adversarial {

struct AdversarialTrainingOptions {
  std::string method = "pgd";     // fgsm | pgd | trades | consistency
  ThreatModel threat{Norm::Linf, 0.1};
  std::int64_t steps = 0;         // inner attack steps; 0 means fgsm 1, pgd 7, trades 10, consistency 1
  double alpha = 0;               // step size; 0 means 1.25ε for one step, else 2.5ε / steps
  double beta = 6.0;              // trades
  double lambda = 1.0;            // consistency
  std::string layer = "layer3";   // consistency: the module whose output is φ_l
  std::uint64_t seed = 0;

  // ValueError naming the option for an unknown method, bad ε, steps < 0, α < 0, β < 0 or λ < 0.
  void validate() const;
  // The same options with steps and α resolved to their defaults.
  AdversarialTrainingOptions resolved() const;
  // One line for logs and checkpoints: "pgd linf eps=0.1 steps=7 alpha=0.025" (+ beta/lambda/layer).
  std::string describe() const;
};

// The batch loss of a recipe (options are validated and resolved). The attack's randomness is a
// pure function of (seed, batch epoch, batch step), so resumed runs reproduce bit for bit.
models::BatchLossFunction adversarial_loss(const AdversarialTrainingOptions& options);

// mean_n KL(p_n ‖ q_n) = mean_n Σ_k p_nk (log p_nk − log q_nk), from logits: p = softmax(clean),
// q = softmax(adversarial). Differentiable in both.
Tensor mean_kl_divergence(const Tensor& clean_logits, const Tensor& adversarial_logits);

// mean_n ‖a_n − b_n‖²₂ over a batch of features [N, ...].
Tensor mean_squared_distance(const Tensor& a, const Tensor& b);

}  // namespace attrax::adversarial
