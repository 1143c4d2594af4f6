#include "adversarial/threat.hpp"

#include <cmath>

#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

// Shape [N, 1, 1, ...] of the batch, for per-sample scale factors.
std::vector<std::int64_t> per_sample_shape(const Tensor& x) {
  std::vector<std::int64_t> shape(std::size_t(x.rank()), 1);
  shape[0] = x.size(0);
  return shape;
}

// The axes after the batch axis.
std::vector<int> sample_axes(const Tensor& x) {
  std::vector<int> axes;
  for (int a = 1; a < x.rank(); ++a) axes.push_back(a);
  return axes;
}

// ‖v‖₂ per sample with a floor, shaped [N, 1, 1, ...] for broadcasting.
Tensor l2_norm_column(const Tensor& v) {
  return sqrt(sum(v * v, sample_axes(v), true) + 1e-24);
}

}  // namespace

Norm parse_norm(const std::string& text) {
  if (text == "linf" || text == "Linf" || text == "inf") return Norm::Linf;
  if (text == "l2" || text == "L2") return Norm::L2;
  throw ValueError("norm: unknown norm '" + text + "' (expected linf or l2)");
}

std::string norm_name(Norm norm) { return norm == Norm::Linf ? "linf" : "l2"; }

void ThreatModel::validate() const {
  if (!std::isfinite(eps) || eps < 0)
    throw ValueError("eps: " + std::to_string(eps) + " is not a finite number >= 0");
}

Tensor per_sample_norm(const Tensor& delta, Norm norm) {
  NoGradGuard no_grad;
  if (delta.rank() < 2) throw ShapeError("per_sample_norm: expected a batch [N, ...], got " + delta.shape().str());
  if (norm == Norm::Linf) return max(abs(delta), sample_axes(delta));
  return sqrt(sum(delta * delta, sample_axes(delta)));
}

Tensor project(const Tensor& x_adv, const Tensor& x, const ThreatModel& threat) {
  NoGradGuard no_grad;
  Tensor delta = x_adv - x;
  if (threat.norm == Norm::Linf) {
    delta = clamp(delta, -threat.eps, threat.eps);
  } else {
    // δ ← δ · min(1, ε / ‖δ‖₂)
    const Tensor scale = clamp(threat.eps / l2_norm_column(delta), 0.0, 1.0);
    delta = delta * scale;
  }
  return clamp(x + delta, 0.0, 1.0);
}

Tensor random_start(const Tensor& x, const ThreatModel& threat, Generator& gen) {
  NoGradGuard no_grad;
  if (threat.norm == Norm::Linf)
    return clamp(x + (Tensor::rand(x.shape(), gen) * 2.0 - 1.0) * threat.eps, 0.0, 1.0);
  // δ = ε · r · u,  u = n/‖n‖, n ~ N(0, I),  r = U^(1/d): uniform in the ball's volume
  const Tensor n = Tensor::randn(x.shape(), gen);
  const double d = double(x.numel() / x.size(0));
  const Tensor r = pow(Tensor::rand(Shape(per_sample_shape(x)), gen), 1.0 / d);
  return project(x + threat.eps * r * (n / l2_norm_column(n)), x, threat);
}

Tensor ascent_direction(const Tensor& g, Norm norm) {
  NoGradGuard no_grad;
  if (norm == Norm::Linf) return sign(g);
  return g / l2_norm_column(g);
}

}  // namespace attrax::adversarial
