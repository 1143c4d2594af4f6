#pragma once
// PGD (Madry et al. 2018) and BIM / I-FGSM (Kurakin et al. 2017), which is PGD without the random
// start. From x₀ (random in the ball, or x), K steps of
//   x_{k+1} = Π_{B(x,ε) ∩ [0,1]}( x_k + α_k · d(∇ L(x_k)) ),   d = sign (L∞) or g/‖g‖₂ (L2).
// Restarts keep, per sample, the first result that reaches the goal, else the one of highest loss.
// With early_stop a sample stops moving once it reaches the goal (misclassified, or the target).
#include <cstdint>
#include <string>

#include "adversarial/attack.hpp"
#include "adversarial/losses.hpp"

namespace attrax::adversarial {

// How α_k varies over the K steps: constant; step (α/2 after K/2 steps, α/4 after 3K/4);
// cosine, α_k = α · (1 + cos(π k / K)) / 2.
enum class StepSchedule { Constant, Step, Cosine };
StepSchedule parse_step_schedule(const std::string& text);  // "constant" | "step" | "cosine"
double step_size_at(StepSchedule schedule, double alpha, std::int64_t k, std::int64_t steps);

struct PgdOptions {
  ThreatModel threat;
  std::int64_t steps = 10;
  double alpha = 0;                 // step size; 0 means 2.5 · ε / steps
  bool random_start = true;
  std::int64_t restarts = 1;
  StepSchedule schedule = StepSchedule::Constant;
  bool early_stop = false;
  bool targeted = false;
  SampleLoss loss = cross_entropy_per_sample;
  std::uint64_t seed = 0;
  // ValueError naming the option for steps < 1, restarts < 1, α < 0 or a bad ε.
  void validate() const;
};

class Pgd : public Attack {
 public:
  // name: "pgd", or "bim" for the variant without random start.
  explicit Pgd(PgdOptions options, std::string name = "pgd");
  std::string name() const override { return name_; }
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return options_.targeted; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  // One run from a start point; returns the final images.
  Tensor run_once(nn::Module& model, const Tensor& x, const Tensor& labels, Tensor start) const;

  PgdOptions options_;
  std::string name_;
  Generator gen_;  // random starts; advances across calls, so each batch gets fresh noise
};

// BIM / I-FGSM: PGD from x itself, with α = ε / steps unless given.
Pgd make_bim(PgdOptions options);

}  // namespace attrax::adversarial
