// GRA (Zhu et al. 2023): momentum over a cosine-weighted mix of the gradient and the average
// gradient of a uniform neighbourhood, with a decay indicator that shrinks the step of elements
// whose momentum sign flips, as in TransferAttack's transferattack/gradient/gra.py.
#include "adversarial/attacks/gra.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "adversarial/attacks/mifgsm.hpp"
#include "adversarial/random_streams.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

void require_finite_non_negative(const char* option, double value) {
  if (!std::isfinite(value) || value < 0)
    throw ValueError(std::string(option) + ": " + std::to_string(value) + " must be a finite number >= 0");
}

std::vector<int> non_batch_axes(const Tensor& t) {
  std::vector<int> axes;
  for (int a = 1; a < t.rank(); ++a) axes.push_back(a);
  return axes;
}

}  // namespace

void GraOptions::validate() const {
  threat.validate();
  if (threat.norm != Norm::Linf)
    throw ValueError("threat.norm: gra supports linf only, got " + norm_name(threat.norm));
  if (steps < 1) throw ValueError("steps: " + std::to_string(steps) + " must be at least 1");
  if (neighbours < 1) throw ValueError("neighbours: " + std::to_string(neighbours) + " must be at least 1");
  if (!std::isfinite(eta) || eta <= 0 || eta > 1)
    throw ValueError("eta: " + std::to_string(eta) + " must lie in (0, 1]");
  require_finite_non_negative("alpha", alpha);
  require_finite_non_negative("decay", decay);
  require_finite_non_negative("beta", beta);
  if (!loss) throw ValueError("loss: no loss given");
}

Tensor sample_cosine(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  const std::vector<int> axes = non_batch_axes(a);
  // Σ a b / (‖a‖ ‖b‖ + 1e-12)
  return sum(a * b, axes, true) /
         (sqrt(sum(a * a, axes, true)) * sqrt(sum(b * b, axes, true)) + 1e-12);
}

Gra::Gra(GraOptions options) : options_(std::move(options)), gen_(options_.seed, kAttackStream) {
  options_.validate();
  if (options_.alpha == 0) options_.alpha = options_.threat.eps / double(options_.steps);
}

Tensor Gra::neighbourhood_gradient(nn::Module& model, const Tensor& x, const Tensor& labels,
                                   const SampleLoss& loss) {
  const double radius = options_.beta * options_.threat.eps;
  Tensor total = Tensor::zeros(x.shape(), x.dtype());
  for (std::int64_t n = 0; n < options_.neighbours; ++n) {
    Tensor neighbour;
    {
      NoGradGuard no_grad;
      // x + u,  u ~ U[−βε, βε]
      neighbour = x + radius * (2.0 * Tensor::rand(x.shape(), gen_, x.dtype()) - 1.0);
    }
    const Tensor g = loss_gradient(model, neighbour, labels, loss).gradient;
    NoGradGuard no_grad;
    total = total + g;
  }
  NoGradGuard no_grad;
  return total / double(options_.neighbours);
}

Trajectory Gra::follow(nn::Module& model, const Tensor& x, const Tensor& labels) {
  const SampleLoss loss = ascent_loss(options_.loss, options_.targeted);
  const double eta = options_.eta;
  Trajectory path;
  Tensor point = options_.random_start ? random_start(x, options_.threat, gen_) : x;
  Tensor momentum = Tensor::zeros(x.shape(), x.dtype());
  Tensor decay_indicator = Tensor::full(x.shape(), 1.0 / eta, x.dtype());
  path.points.push_back(point);
  for (std::int64_t t = 0; t < options_.steps; ++t) {
    const Tensor g = loss_gradient(model, point, labels, loss).gradient;
    const Tensor g_bar = neighbourhood_gradient(model, point, labels, loss);
    NoGradGuard no_grad;
    // G = s g + (1 − s) ḡ,  s = cos(g, ḡ)
    const Tensor s = sample_cosine(g, g_bar);
    const Tensor relevant = s * g + (1.0 - s) * g_bar;
    // m_{t+1} = μ m_t + G / mean|G|
    const Tensor next = options_.decay * momentum + l1_normalise(relevant);
    // M ← M ⊙ (1[same sign] + η · 1[sign flipped])
    const Tensor same_sign = eq(sign(next), sign(momentum));
    decay_indicator = decay_indicator * (same_sign + eta * (1.0 - same_sign));
    momentum = next;
    // x_{t+1} = Π(x_t + α M ⊙ sign(m_{t+1}))
    point = project(point + options_.alpha * decay_indicator * sign(momentum), x, options_.threat);
    path.momenta.push_back(momentum);
    path.points.push_back(point);
  }
  return path;
}

}  // namespace attrax::adversarial
