#pragma once
// DeepFool (Moosavi-Dezfooli et al. 2016), multi-class, untargeted: a minimum-norm attack that
// linearises the classifier around the current point x_i and steps onto the nearest linearised
// decision boundary. With y the true class and k one of the top candidate classes k ≠ y,
//   w_k = ∇(z_k − z_y)(x_i),  f_k = z_k(x_i) − z_y(x_i),
//   l = argmin_k |f_k| / ‖w_k‖_q     (q = 2 for L2, q = 1 for L∞, the dual norm),
//   L2:  r_i = (|f_l| + 1e-4) / ‖w_l‖₂² · w_l
//   L∞:  r_i = (|f_l| + 1e-4) / ‖w_l‖₁ · sign(w_l)
// accumulated as r = Σ r_i, with x_{i+1} = clip(x + (1 + overshoot) · r, 0, 1), until the sample
// is misclassified or `steps` run out. The result is x + (1 + overshoot) · r. Without a budget it
// is only clipped to [0, 1]; with one it is projected into the ball (by Attack::operator()).
#include <cstdint>
#include <optional>
#include <string>

#include "adversarial/attack.hpp"

namespace attrax::adversarial {

struct DeepFoolOptions {
  Norm norm = Norm::L2;
  std::int64_t steps = 50;
  double overshoot = 0.02;
  // How many of the highest-scoring classes of the clean input (the true class among them) are
  // linearised; capped at the number of classes.
  std::int64_t candidates = 10;
  std::optional<ThreatModel> budget = std::nullopt;
  // ValueError naming the option for steps < 1, a negative or non-finite overshoot,
  // candidates < 2 or a bad budget ε.
  void validate() const;
};

class DeepFool : public Attack {
 public:
  explicit DeepFool(DeepFoolOptions options = {});
  std::string name() const override { return "deepfool"; }
  std::optional<ThreatModel> threat() const override { return options_.budget; }
  bool targeted() const override { return false; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  DeepFoolOptions options_;
};

}  // namespace attrax::adversarial
