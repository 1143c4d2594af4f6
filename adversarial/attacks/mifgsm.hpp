#pragma once
// MI-FGSM (Dong et al. 2018): iterative FGSM with a momentum of L1-normalised gradients,
//   g_k = ∇ L(x_k),  m_{k+1} = μ · m_k + g_k / mean|g_k|,  x_{k+1} = Π(x_k + α · sign(m_{k+1})),
// from x itself, α = ε / steps. The gradient estimator decides how g_k is measured, so the same
// loop is DI-, TI- and SSA-MI-FGSM (attacks/transfer.hpp) and runs on an ensemble of models.
#include <cstdint>

#include "adversarial/attack.hpp"
#include "adversarial/attacks/gradient_estimator.hpp"

namespace attrax::adversarial {

struct MiFgsmOptions {
  ThreatModel threat;
  std::int64_t steps = 10;
  double alpha = 0;      // 0 means ε / steps
  double decay = 1.0;    // μ
  bool targeted = false;
  SampleLoss loss = cross_entropy_per_sample;
  GradientEstimator gradient = plain_gradient;
  std::uint64_t seed = 0;
  void validate() const;  // ValueError naming the option
};

// Divides each sample of g by its mean absolute value over (C, H, W).
Tensor l1_normalise(const Tensor& g);

class MiFgsm : public Attack {
 public:
  explicit MiFgsm(MiFgsmOptions options, std::string name = "mifgsm");
  std::string name() const override { return name_; }
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return options_.targeted; }

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  MiFgsmOptions options_;
  std::string name_;
  Generator gen_;
};

}  // namespace attrax::adversarial
