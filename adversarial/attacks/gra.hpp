#pragma once
// GRA, gradient relevance attack (Zhu et al. 2023, "Boosting Adversarial Transferability via
// Gradient Relevance Attack"), as in TransferAttack's transferattack/gradient/gra.py
// (seed-methods.md §6.2, item 24). L∞, from x_0 = x (or a random start), M_dec = 1/η, T steps of
//   g       = ∇ J(x_t)                                  J = CE (untargeted) or −CE to the target
//   ḡ       = (1/N) Σ_n ∇ J(x_t + u_n),  u_n ~ U[−βε, βε] elementwise (not clipped, as the reference)
//   s       = cos(g, ḡ) per sample (flattened)
//   G       = s · g + (1 − s) · ḡ
//   m_{t+1} = μ · m_t + G / mean_{C,H,W} |G|
//   M_dec   ← M_dec ⊙ (1[sign m_{t+1} = sign m_t] + η · 1[sign m_{t+1} ≠ sign m_t])
//   x_{t+1} = Π_{B∞(x,ε) ∩ [0,1]}(x_t + α · M_dec ⊙ sign(m_{t+1}))
// Targeted (labels are targets): J = −CE(f(x), t), the reference's targeted loss. The cosine's
// denominator gets + 1e-12 (ours: the reference has none) so that a zero gradient gives s = 0.
// Defaults: T = 10, α = ε / T (the reference's 1.6/255 at ε = 16/255), μ = 1, β = 3.5, N = 20,
// η = 0.94.
#include <cstdint>

#include "adversarial/attacks/transfer.hpp"
#include "adversarial/losses.hpp"

namespace attrax::adversarial {

struct GraOptions {
  ThreatModel threat;              // L∞ only
  std::int64_t steps = 10;         // T
  double alpha = 0;                // 0 means ε / T
  double decay = 1.0;              // μ
  double beta = 3.5;               // neighbourhood radius β · ε
  std::int64_t neighbours = 20;    // N
  double eta = 0.94;               // η, the decay indicator's attenuation
  bool random_start = false;       // x_0 uniform in the ball (as the reference's random_start)
  bool targeted = false;
  SampleLoss loss = cross_entropy_per_sample;
  std::uint64_t seed = 0;
  // ValueError naming the option: an L2 threat, bad ε, steps < 1, neighbours < 1, η outside (0, 1],
  // α, μ or β negative or non-finite, no loss.
  void validate() const;
};

class Gra : public TracedAttack {
 public:
  explicit Gra(GraOptions options);
  std::string name() const override { return "gra"; }
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return options_.targeted; }

 protected:
  // T + 1 points x_0..x_T and T momenta; momenta[t], the m_{t+1} above, moved points[t] to
  // points[t + 1].
  Trajectory follow(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  // ḡ = (1/N) Σ_n ∇ J(x + u_n)
  Tensor neighbourhood_gradient(nn::Module& model, const Tensor& x, const Tensor& labels,
                                const SampleLoss& loss);

  GraOptions options_;
  Generator gen_;  // neighbours and random starts
};

// Per-sample cosine similarity of a and b [N, ...], flattened -> [N, 1, ..., 1]:
//   Σ a b / (‖a‖ ‖b‖ + 1e-12)
Tensor sample_cosine(const Tensor& a, const Tensor& b);

}  // namespace attrax::adversarial
