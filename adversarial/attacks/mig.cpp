// MIG (Ma et al. 2023): momentum over integrated gradients of the class probability along the
// straight path from the black image, as in TransferAttack's transferattack/gradient/mig.py.
#include "adversarial/attacks/mig.hpp"

#include <cmath>
#include <vector>

#include "adversarial/attacks/mifgsm.hpp"
#include "adversarial/random_streams.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {

void MigOptions::validate() const {
  threat.validate();
  if (threat.norm != Norm::Linf)
    throw ValueError("threat.norm: mig supports linf only, got " + norm_name(threat.norm));
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (samples < 1) throw ValueError("samples: " + std::to_string(samples) + " must be at least 1");
  if (!std::isfinite(alpha) || alpha < 0)
    throw ValueError("alpha: " + std::to_string(alpha) + " must be a finite number >= 0");
  if (!std::isfinite(decay) || decay < 0)
    throw ValueError("decay: " + std::to_string(decay) + " must be a finite number >= 0");
}

Mig::Mig(MigOptions options) : options_(std::move(options)), gen_(options_.seed, kAttackStream) {
  options_.validate();
  if (options_.alpha == 0) options_.alpha = options_.threat.eps / double(options_.steps);
}

Tensor Mig::integrated_gradient(nn::Module& model, const Tensor& x, const Tensor& labels) const {
  const std::int64_t s_count = options_.samples, n = x.size(0);
  Tensor input = x.detach();
  input.requires_grad_();
  // Z = [(s/S) · x for s = 1..S], stacked along the batch: row s·N + i is copy s+1 of sample i
  std::vector<Tensor> copies;
  for (std::int64_t s = 1; s <= s_count; ++s) copies.push_back(input * (double(s) / double(s_count)));
  const Tensor probs = softmax(model(concat(copies, 0)), 1);
  const std::int64_t classes = probs.size(1);
  const Tensor chosen = one_hot(labels, classes, probs.dtype());
  // J_i = ∓(1/S) Σ_s softmax(f(Z_s))_{i, y_i}
  const Tensor summed = sum(probs.reshape({s_count, n, classes}) * chosen, {0, 2});
  const double direction = options_.targeted ? 1.0 : -1.0;
  const Tensor objective = (direction / double(s_count)) * summed;
  const Tensor g = grad({sum(objective)}, {input})[0];
  NoGradGuard no_grad;
  // ig = (x − 0) ⊙ g / S
  return x.detach() * g / double(s_count);
}

Trajectory Mig::follow(nn::Module& model, const Tensor& x, const Tensor& labels) {
  Trajectory path;
  Tensor point = options_.random_start ? random_start(x, options_.threat, gen_) : x;
  Tensor momentum = Tensor::zeros(x.shape(), x.dtype());
  path.points.push_back(point);
  for (std::int64_t t = 0; t < options_.steps; ++t) {
    const Tensor ig = integrated_gradient(model, point, labels);
    NoGradGuard no_grad;
    // m_{t+1} = μ m_t + ig_t / mean|ig_t|;  x_{t+1} = Π(x_t + α sign(m_{t+1}))
    momentum = options_.decay * momentum + l1_normalise(ig);
    point = project(point + options_.alpha * sign(momentum), x, options_.threat);
    path.momenta.push_back(momentum);
    path.points.push_back(point);
  }
  return path;
}

}  // namespace attrax::adversarial
