#pragma once
// Transfer-attack building blocks (seed-methods.md §6.1, items 20–22), composed into a gradient
// estimator for MiFgsm (attacks/mifgsm.hpp), and the trajectory that path attributions read:
//   DI  input diversity (Xie et al. 2019, "Improving Transferability of Adversarial Examples with
//       Input Diversity"): with probability p the model sees x resized to rnd × rnd,
//       rnd ~ U{W, …, ⌊1.15W⌋ − 1}, zero-padded at a random offset to ⌊1.15H⌋ × ⌊1.15W⌋.
//   TI  translation invariance (Dong et al. 2019, "Evading Defenses to Transferable Adversarial
//       Examples by Translation-Invariant Attacks"): the gradient convolved, channel by channel, with
//       a normalised 2-D Gaussian kernel.
//   SSA spectrum simulation (Long et al. 2022, "Frequency Domain Model Augmentation for Adversarial
//       Attack"): the gradient averaged over N spectrum-augmented copies
//       x̃_n = IDCT2(DCT2(x + ξ_n) ⊙ M_n),  ξ_n ~ N(0, σ²),  M_n ~ U[1 − ρ, 1 + ρ] elementwise.
// Composed as AttEXplore's released code does it (LMBTough/ATTEXPLORE saliency/core/ampe.py):
//   g = TI( (1/N) Σ_n ∇_{x̃_n} Σ_i L_i(f(DI(x̃_n))) )
// The gradient is taken at x̃_n, a fresh leaf, as the reference does (it does not differentiate
// through the spectral transform); DI, in contrast, is differentiated through back to x̃_n.
// MiFgsm with gradient = transfer_gradient({.diversity_prob = 0.5, .ti_kernel = 7,
// .ssa_samples = 20}), ε = 16/255, 10 steps, α = ε/10, μ = 1 is the AttEXplore attack.
#include <cstdint>
#include <vector>

#include "adversarial/attack.hpp"
#include "adversarial/attacks/gradient_estimator.hpp"
#include "engine/random.hpp"

namespace attrax::adversarial {

// ---- DI ----

// The resize rate of DI (Xie et al. 2019; ⌊1.15 · 224⌋ = 257 in the reference).
inline constexpr double kDiversityResizeRate = 1.15;

// The padded extent of DI for an extent n: ⌊1.15 n⌋ computed in double (as the reference's
// int(n * 1.15)), and at least n + 1 (our choice: the reference's range [n, ⌊1.15n⌋) of resized
// extents is empty for n < 7, where it would fail).
std::int64_t diversity_extent(std::int64_t n);

// DI(x) for x [N, C, H, W]: with probability `prob` (one draw for the whole batch, as the
// reference) x is resized bilinearly (align_corners = false) to rnd_h × rnd_w, rnd_w uniform in
// [W, W′), rnd_h = min(H · rnd_w / W, H′ − 1) (one scale for both axes, so square images become
// rnd × rnd as in the reference), then zero-padded to H′ × W′ = diversity_extent(H) ×
// diversity_extent(W) with top and left offsets uniform in [0, H′ − rnd_h) and [0, W′ − rnd_w);
// otherwise x itself. Differentiable: the gradient flows back to x through the resize and padding.
Tensor diverse_input(const Tensor& x, double prob, Generator& gen);

// ---- TI ----

// The TI kernel [size, size] (float32): k[i][j] = φ(z_i) φ(z_j) / Σ_ab φ(z_a) φ(z_b),
// z = linspace(−nsig, nsig, size), φ the standard normal density (scipy's norm.pdf, as the
// reference's gkern). Sums to 1. ValueError for size < 1 or nsig ≤ 0.
Tensor gaussian_kernel(std::int64_t size, double nsig);

// TI smoothing: each channel of g [N, C, H, W] convolved with kernel [k, k] (a depthwise conv2d,
// groups = C), zero padding k / 2 on each side, so an odd k keeps the size. Carries no gradient.
Tensor translation_smooth(const Tensor& g, const Tensor& kernel);

// ---- SSA ----

// One spectrum-simulation sample x̃ = IDCT2(DCT2(x + ξ) ⊙ M) (attacks/dct.hpp, orthonormal),
// ξ ~ N(0, σ²) then M ~ U[1 − ρ, 1 + ρ], elementwise, drawn from gen. Carries no gradient.
Tensor spectrum_simulation(const Tensor& x, double rho, double sigma, Generator& gen);

// ---- composition ----

struct TransferOptions {
  double diversity_prob = 0;    // DI's p; DI off when 0
  std::int64_t ti_kernel = 0;   // TI kernel size (odd); TI off when 0
  std::int64_t ssa_samples = 0; // SSA's N; SSA off when 0
  double ssa_rho = 0.5;         // ρ
  double ssa_sigma = 16.0 / 255;  // σ (the reference ties it to ε = 16/255)
  double ti_nsig = 3;           // the TI kernel spans [−nsig, nsig] standard deviations
  // ValueError naming the option: p outside [0, 1], a negative or even ti_kernel, negative
  // ssa_samples, ρ outside [0, 1], a negative σ, nsig ≤ 0 (any of them non-finite).
  void validate() const;
};

// The gradient estimator g = TI((1/N) Σ_n ∇_{x̃_n} Σ_i L_i(f(DI(x̃_n)))) with each part off as the
// options say (N = 1 and x̃ = x without SSA). Validates the options (ValueError).
GradientEstimator transfer_gradient(const TransferOptions& options);

// ---- trajectories ----

// The path of an iterative attack, for path attributions (AttEXplore: A = −Σ_t (x_{t+1} − x_t) ⊙ m_t):
// points = x_0, …, x_T (T + 1 images, x_0 the start) and momenta = m_0, …, m_{T−1} (T tensors),
// m_t the momentum whose sign moved x_t to x_{t+1}.
struct Trajectory {
  std::vector<Tensor> points, momenta;
};

// An attack that records its path: trace() runs it exactly as operator() does (input checks, eval
// mode, projection) and returns the whole trajectory, whose last point is operator()'s result.
class TracedAttack : public Attack {
 public:
  Trajectory trace(nn::Module& model, const Tensor& x, const Tensor& labels);

 protected:
  // follow(...).points.back(), keeping the trajectory when called from trace().
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) final;
  // The attack's steps from x, on validated inputs with the model in eval mode.
  virtual Trajectory follow(nn::Module& model, const Tensor& x, const Tensor& labels) = 0;

 private:
  bool tracing_ = false;
  Trajectory traced_;
};

}  // namespace attrax::adversarial
