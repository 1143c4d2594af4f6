#pragma once
// Auto-PGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of
// diverse parameter-free attacks"): PGD with momentum and a step size that adapts per sample.
// From a random start x⁽⁰⁾ in the ball, with η⁽⁰⁾ = 2ε, α = 0.75 (α = 1 on the first step) and
// d = sign (L∞) or g/‖g‖₂ (L2):
//   z⁽ᵏ⁺¹⁾ = Π( x⁽ᵏ⁾ + η⁽ᵏ⁾ · d(∇f(x⁽ᵏ⁾)) )
//   x⁽ᵏ⁺¹⁾ = Π( x⁽ᵏ⁾ + α (z⁽ᵏ⁺¹⁾ − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾) )
// At the checkpoints w_j = ⌈p_j N⌉ (p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03,
// 0.06)) a sample's step is halved, and it restarts from its best point, when
//   1. fewer than ρ · (w_j − w_{j−1}) of the steps since w_{j−1} increased f, or
//   2. its step was not halved at w_{j−1} and its best loss has not improved since w_{j−1}
//      (at w_1: since the start).
// Only samples the model classifies correctly are attacked; restarts run on those still correct.
// Per sample the result is the first restart's adversarial point (the run's last misclassified
// iterate), or for a robust sample the point of highest loss over all runs.
//
// Losses: cross-entropy (APGD-CE), DLR (APGD-DLR) and, with `targeted`, APGD-T: for each of the
// `target_classes` highest-scoring classes other than the true one, in turn, targeted DLR towards
// that class on the samples still correctly classified. Labels are always the true classes and
// success is misclassification, so APGD-T is untargeted in goal (targeted() is false).
#include <cstdint>
#include <string>
#include <vector>

#include "adversarial/attack.hpp"
#include "adversarial/losses.hpp"

namespace attrax::adversarial {

struct ApgdOptions {
  ThreatModel threat;
  std::int64_t steps = 100;
  std::int64_t restarts = 1;
  std::string loss = "ce";          // ce | dlr; ignored with targeted (which is targeted DLR)
  bool targeted = false;            // APGD-T
  std::int64_t target_classes = 9;  // capped at the number of classes − 1
  double rho = 0.75;
  std::uint64_t seed = 0;
  // ValueError naming the option for steps < 1, restarts < 1, an unknown loss,
  // target_classes < 1, ρ outside [0, 1] or a bad ε.
  void validate() const;
};

// The iterations after which APGD checks its step size, for a run of `iterations` steps:
// w_j = ⌈p_j · iterations⌉ for every p_j ≤ 1, duplicates removed, starting with w_0 = 0.
std::vector<std::int64_t> apgd_checkpoints(std::int64_t iterations);

// APGD-T's targets for its run number `rank` (0-based): per sample, the class of rank `rank` among
// the classes other than its label, by descending logit (ties to the lower index). logits [N, K],
// labels int64 [N] -> int64 [N]; ValueError unless 0 ≤ rank ≤ K − 2.
Tensor runner_up_classes(const Tensor& logits, const Tensor& labels, std::int64_t rank);

class Apgd : public Attack {
 public:
  explicit Apgd(ApgdOptions options);
  // "apgd-ce", "apgd-dlr" or "apgd-t"
  std::string name() const override;
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return false; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  struct RunResult;
  // One APGD run of options_.steps iterations on x (all samples), ascending `loss`.
  RunResult run_once(nn::Module& model, const Tensor& x, const Tensor& labels, const SampleLoss& loss);
  // x⁽ᵏ⁺¹⁾ from x⁽ᵏ⁾, x⁽ᵏ⁻¹⁾ and ∇f(x⁽ᵏ⁾), with per-sample steps η and momentum α.
  Tensor momentum_step(const Tensor& x, const Tensor& x_k, const Tensor& x_previous, const Tensor& gradient,
                       const std::vector<float>& eta, double alpha) const;

  ApgdOptions options_;
  std::vector<std::int64_t> checkpoints_;
  Generator gen_;  // random starts; advances across calls, so each batch gets fresh noise
};

}  // namespace attrax::adversarial
