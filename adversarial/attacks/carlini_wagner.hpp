#pragma once
// Carlini–Wagner L2 (Carlini & Wagner 2017): in tanh space x' = (tanh(w) + 1) / 2, minimise with Adam
//   ‖x' − x‖₂² + c · f(x'),   f = max(z_y − max_{i≠y} z_i, −κ)      (untargeted, y the true class)
//                            f = max(max_{i≠t} z_i − z_t, −κ)      (targeted towards t)
// and binary-search c per sample over `binary_search_steps` rounds (up when the round failed,
// down when it succeeded), keeping the successful x' of smallest L2 norm (x itself when none).
// Gradients are taken with respect to w only. Without a budget the result is a pure minimum-norm
// adversarial (already in [0, 1] by construction); with `eps` it is projected into the L2 ball by
// Attack::operator(), which may undo the success of samples whose minimal norm exceeds ε.
// Pixels at exactly 0 or 1 start where tanh saturates (|w| ≈ 7.3, w = atanh(±(1 − 1e-6))) and
// barely move within a round: CW effectively perturbs only the pixels inside the box.
#include <cstdint>
#include <optional>
#include <string>

#include "adversarial/attack.hpp"

namespace attrax::adversarial {

struct CarliniWagnerOptions {
  std::int64_t steps = 100;              // Adam steps per binary-search round
  std::int64_t binary_search_steps = 9;
  // c at the first round: 1e-2 rather than the paper's 1e-3, which saves one ×10 round on
  // models with logits of order 1 without changing the result.
  double initial_const = 1e-2;
  double kappa = 0;                      // confidence margin κ
  double lr = 0.01;                      // Adam's learning rate
  bool targeted = false;
  std::optional<double> eps = std::nullopt;  // an L2 budget the result is projected into
  // ValueError naming the option for steps < 1, binary_search_steps < 1, initial_const <= 0,
  // κ < 0, lr <= 0 (or any of them non-finite) or a negative ε.
  void validate() const;
};

class CarliniWagner : public Attack {
 public:
  explicit CarliniWagner(CarliniWagnerOptions options = {});
  std::string name() const override { return "cw"; }
  std::optional<ThreatModel> threat() const override;  // {L2, eps}, or nullopt without a budget
  bool targeted() const override { return options_.targeted; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  CarliniWagnerOptions options_;
};

}  // namespace attrax::adversarial
