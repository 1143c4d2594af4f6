#pragma once
// Square Attack (Andriushchenko et al. 2020, "Square Attack: a query-efficient black-box adversarial
// attack via random search"): score-based black box, forward passes only (no gradient is computed).
// Random search that, per query, changes one random square of side s of the current best point and
// keeps the change when the loss decreases (or the goal is reached):
//   L∞: start from vertical stripes x + ε·u, u ∈ {−1, +1} per (channel, column); a candidate adds
//       ±2ε (one sign per channel) on the square, projected onto the ball ∩ [0, 1].
//   L2: start from a grid of centred "eta" patterns with random signs, scaled to ‖δ‖₂ = ε; a
//       candidate (the paper's Algorithm 3) moves the mass of a second random square W₂ onto the
//       first, W₁: per channel i, W₁ gets an eta pattern with a random sign plus W₁'s normalised
//       content, scaled to norm sqrt(‖δ_{W₁∪W₂,i}‖² + max(ε² − ‖δ‖², 0)/C), and W₂ is cleared, so
//       ‖δ‖₂ = ε again (rescaled to exactly ε against rounding); the result is clipped to [0, 1].
// Losses (minimised): untargeted, the margin z_y − max_{i≠y} z_i; targeted (labels are targets),
// the cross-entropy towards the target. The square covers a fraction p of the image, p = p_init
// halved at the iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 of 10000, rescaled to
// the query budget. Only samples that have not reached the goal are queried; the initial point
// counts as one query. Restarts run on the samples not yet at the goal; per sample the result is
// the first restart's success, else the point of lowest loss.
#include <cstdint>
#include <string>

#include "adversarial/attack.hpp"

namespace attrax::adversarial {

struct SquareOptions {
  ThreatModel threat;
  std::int64_t queries = 5000;  // model evaluations per sample and restart
  double p_init = 0.8;
  std::int64_t restarts = 1;
  bool targeted = false;
  std::uint64_t seed = 0;
  // ValueError naming the option for queries < 1, restarts < 1, p_init outside (0, 1] or a bad ε.
  void validate() const;
};

// The fraction of the image the square covers at update `iteration` of a budget of `queries`:
// p_init / 2^h, with h the number of the thresholds 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000
// that ⌊10000 · iteration / queries⌋ exceeds.
double square_fraction(double p_init, std::int64_t iteration, std::int64_t queries);

class Square : public Attack {
 public:
  explicit Square(SquareOptions options);
  std::string name() const override { return "square"; }
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return options_.targeted; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  struct RunResult;
  // One random search of options_.queries queries on x (all samples).
  RunResult run_once(nn::Module& model, const Tensor& x, const Tensor& labels);
  // Stripes (L∞) or a grid of eta patterns (L2) around x.
  Tensor initial_point(const Tensor& x);
  // A candidate from the current best points of the samples of x, squares covering a fraction p.
  Tensor candidate(const Tensor& x, const Tensor& x_best, double p);

  SquareOptions options_;
  Generator gen_;  // squares and signs; advances across calls, so each batch gets fresh noise
};

}  // namespace attrax::adversarial
