#pragma once
// FGSM (Goodfellow et al. 2015): one step of size ε along the steepest-ascent direction,
//   x' = Π(x + ε · sign(∇ₓ L(x)))        (L2: ε · ∇ₓL / ‖∇ₓL‖₂)
#include "adversarial/attack.hpp"
#include "adversarial/losses.hpp"

namespace attrax::adversarial {

struct FgsmOptions {
  ThreatModel threat;
  bool targeted = false;
  SampleLoss loss = cross_entropy_per_sample;
};

class Fgsm : public Attack {
 public:
  explicit Fgsm(FgsmOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "fgsm"; }
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return options_.targeted; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  FgsmOptions options_;
};

}  // namespace attrax::adversarial
