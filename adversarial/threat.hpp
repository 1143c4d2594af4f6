#pragma once
// The threat model of an attack: which norm bounds the perturbation and by how much. Every attack
// returns images inside the ball {x' : ‖x' − x‖ ≤ ε} intersected with the pixel box [0, 1].
#include <cstdint>
#include <string>

#include "engine/random.hpp"
#include "engine/tensor.hpp"

namespace attrax::adversarial {

enum class Norm { Linf, L2 };

// "linf" | "l2" (ValueError naming the text otherwise) and back.
Norm parse_norm(const std::string& text);
std::string norm_name(Norm norm);

struct ThreatModel {
  Norm norm = Norm::Linf;
  double eps = 0.1;
  // ValueError for a negative or non-finite ε.
  void validate() const;
};

// Per-sample norms of a batch [N, ...] -> [N]: max|d| (L∞) or sqrt(Σ d²) (L2).
Tensor per_sample_norm(const Tensor& delta, Norm norm);

// Π_{B(x,ε) ∩ [0,1]}: the perturbation x_adv − x clipped to the ball (L∞: elementwise to [−ε, ε];
// L2: rescaled by min(1, ε/‖δ‖) per sample), then the result clipped to [0, 1].
Tensor project(const Tensor& x_adv, const Tensor& x, const ThreatModel& threat);

// A uniform random start inside the ball, clipped to [0, 1]. L∞: δ ~ U(−ε, ε) elementwise;
// L2: δ = ε · r · u with u uniform on the unit sphere (normalised Gaussian) and r ~ U(0, 1)^(1/d).
Tensor random_start(const Tensor& x, const ThreatModel& threat, Generator& gen);

// The steepest-ascent direction of unit norm for a gradient g: sign(g) (L∞) or g/‖g‖₂ per sample (L2).
Tensor ascent_direction(const Tensor& g, Norm norm);

}  // namespace attrax::adversarial
