#pragma once
// MIG, momentum integrated gradients (Ma et al. 2023, "Transferable Adversarial Attack for Both
// Vision Transformers and Convolutional Networks via Momentum Integrated Gradients"), as in
// TransferAttack's transferattack/gradient/mig.py (seed-methods.md §6.2, item 23). L∞, from x_0 = x
// (or a random start), T steps of
//   J(x_t)    = −(1/S) Σ_{s=1..S} softmax(f((s/S) · x_t))_y      (baseline 0; targeted: +, towards t)
//   ig_t      = x_t ⊙ ∇_{x_t} J(x_t) / S
//   m_{t+1}   = μ · m_t + ig_t / mean_{C,H,W} |ig_t|
//   x_{t+1}   = Π_{B∞(x,ε) ∩ [0,1]}(x_t + α · sign(m_{t+1}))
// ∇ J includes the factor s/S of the scaled copies, as the reference differentiates with respect
// to the perturbation. Targeted (labels are targets): J = +(1/S) Σ_s softmax(f((s/S) · x_t))_t, the
// reference's targeted loss, so the attack climbs the target's probability along the path.
// Defaults: T = 10, α = ε / T, μ = 1, S = 20.
#include <cstdint>

#include "adversarial/attacks/transfer.hpp"

namespace attrax::adversarial {

struct MigOptions {
  ThreatModel threat;            // L∞ only
  std::int64_t steps = 10;       // T
  double alpha = 0;              // 0 means ε / T
  double decay = 1.0;            // μ
  std::int64_t samples = 20;     // S, the scaled copies (s/S) · x_t, s = 1..S
  bool random_start = false;     // x_0 uniform in the ball (as the reference's random_start)
  bool targeted = false;
  std::uint64_t seed = 0;
  // ValueError naming the option: an L2 threat, bad ε, steps < 1, samples < 1, α or μ negative or
  // non-finite.
  void validate() const;
};

class Mig : public TracedAttack {
 public:
  explicit Mig(MigOptions options);
  std::string name() const override { return "mig"; }
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return options_.targeted; }

 protected:
  // T + 1 points x_0..x_T and T momenta; momenta[t], the m_{t+1} above, moved points[t] to
  // points[t + 1].
  Trajectory follow(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  // ig = x ⊙ ∇_x J(x) / S
  Tensor integrated_gradient(nn::Module& model, const Tensor& x, const Tensor& labels) const;

  MigOptions options_;
  Generator gen_;  // random starts
};

}  // namespace attrax::adversarial
