#include "adversarial/attacks/mifgsm.hpp"

#include <cmath>

#include "adversarial/random_streams.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {

void MiFgsmOptions::validate() const {
  threat.validate();
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (!std::isfinite(alpha) || alpha < 0)
    throw ValueError("alpha: " + std::to_string(alpha) + " must be a finite number >= 0");
  if (!std::isfinite(decay) || decay < 0)
    throw ValueError("decay: " + std::to_string(decay) + " must be a finite number >= 0");
  if (!gradient) throw ValueError("gradient: no gradient estimator given");
}

Tensor l1_normalise(const Tensor& g) {
  NoGradGuard no_grad;
  std::vector<int> axes;
  for (int a = 1; a < g.rank(); ++a) axes.push_back(a);
  // g / (mean_{C,H,W} |g| + 1e-12)
  return g / (mean(abs(g), axes, true) + 1e-12);
}

MiFgsm::MiFgsm(MiFgsmOptions options, std::string name)
    : options_(std::move(options)), name_(std::move(name)), gen_(options_.seed, kAttackStream) {
  options_.validate();
  if (options_.alpha == 0) options_.alpha = options_.threat.eps / double(options_.steps);
}

Tensor MiFgsm::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  const SampleLoss loss = ascent_loss(options_.loss, options_.targeted);
  Tensor x_adv = x;
  Tensor momentum = Tensor::zeros(x.shape());
  for (std::int64_t k = 0; k < options_.steps; ++k) {
    const Tensor g = options_.gradient(model, x_adv, labels, loss, gen_);
    NoGradGuard no_grad;
    momentum = options_.decay * momentum + l1_normalise(g);
    x_adv = project(x_adv + options_.alpha * ascent_direction(momentum, options_.threat.norm), x,
                    options_.threat);
  }
  return x_adv;
}

}  // namespace attrax::adversarial
