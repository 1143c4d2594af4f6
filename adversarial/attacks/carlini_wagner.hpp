#pragma once
// Carlini–Wagner L2 (Carlini & Wagner 2017): in tanh space x' = (tanh(w) + 1) / 2, minimise with Adam
//   ‖x' − x‖₂² + c · f(x'),   f = max(z_y − max_{i≠y} z_i, −κ)      (untargeted)
//                            f = max(max_{i≠t} z_i − z_t, −κ)      (targeted towards t)
// and binary-search c per sample over `binary_search_steps` rounds (up when the round failed,
// down when it succeeded), keeping the successful x' of smallest L2 norm (x itself when none).
#include <cstdint>
#include <optional>

#include "adversarial/attack.hpp"

namespace attrax::adversarial {

struct CarliniWagnerOptions {
  std::int64_t steps = 100;              // Adam steps per binary-search round
  std::int64_t binary_search_steps = 9;
  double initial_const = 1e-2;           // c at the first round
  double kappa = 0;                      // confidence margin κ
  double lr = 0.01;                      // Adam's learning rate
  bool targeted = false;
  std::optional<double> eps = std::nullopt;  // an L2 budget the result is projected into
  void validate() const;                 // ValueError naming the option
};

class CarliniWagner : public Attack {
 public:
  explicit CarliniWagner(CarliniWagnerOptions options);
  std::string name() const override { return "cw"; }
  std::optional<ThreatModel> threat() const override;
  bool targeted() const override { return options_.targeted; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  CarliniWagnerOptions options_;
};

}  // namespace attrax::adversarial
