// Transfer-attack gradient transforms: DI (Xie et al. 2019), TI (Dong et al. 2019) and SSA
// (Long et al. 2022), composed as in AttEXplore's released code (LMBTough/ATTEXPLORE
// saliency/core/ampe.py), and the trajectory recording of path-producing attacks.
#include "adversarial/attacks/transfer.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "adversarial/attacks/dct.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

double uniform(Generator& gen) {
  double u = 0;
  gen.fill_uniform(&u, 1);
  return u;
}

std::int64_t uniform_below(Generator& gen, std::int64_t bound) {
  return std::int64_t(gen.next_below(std::uint64_t(bound)));
}

// ∇_x Σ_i loss_i(f(DI(x))): the gradient reaches x back through the resize and the padding.
Tensor diverse_gradient(nn::Module& model, const Tensor& x, const Tensor& labels,
                        const SampleLoss& loss, double prob, Generator& gen) {
  Tensor input = x.detach();
  input.requires_grad_();
  const Tensor losses = loss(model(diverse_input(input, prob, gen)), labels);
  return grad({sum(losses)}, {input})[0];
}

void require(bool ok, const std::string& message) {
  if (!ok) throw ValueError(message);
}

}  // namespace

std::int64_t diversity_extent(std::int64_t n) {
  return std::max(std::int64_t(std::floor(double(n) * kDiversityResizeRate)), n + 1);
}

Tensor diverse_input(const Tensor& x, double prob, Generator& gen) {
  if (!(uniform(gen) < prob)) return x;
  const std::int64_t h = x.size(2), w = x.size(3);
  const std::int64_t out_h = diversity_extent(h), out_w = diversity_extent(w);
  // rnd_w ∈ [W, W′), rnd_h = min(H · rnd_w / W, H′ − 1)
  const std::int64_t rnd_w = w + uniform_below(gen, out_w - w);
  const std::int64_t rnd_h = std::min(h * rnd_w / w, out_h - 1);
  const std::int64_t top = uniform_below(gen, out_h - rnd_h), left = uniform_below(gen, out_w - rnd_w);
  return pad(upsample_bilinear(x, rnd_h, rnd_w), {0, 0, top, left},
             {0, 0, out_h - rnd_h - top, out_w - rnd_w - left});
}

Tensor gaussian_kernel(std::int64_t size, double nsig) {
  require(size >= 1, "ti_kernel: size " + std::to_string(size) + " must be at least 1");
  require(std::isfinite(nsig) && nsig > 0, "ti_nsig: " + std::to_string(nsig) + " must be a finite number > 0");
  // φ(z_i) for z = linspace(−nsig, nsig, size); the density's constant cancels in the normalisation
  std::vector<double> density(static_cast<std::size_t>(size));
  double total = 0;
  for (std::int64_t i = 0; i < size; ++i) {
    const double z = size == 1 ? 0.0 : -nsig + 2.0 * nsig * double(i) / double(size - 1);
    density[std::size_t(i)] = std::exp(-0.5 * z * z);
    total += density[std::size_t(i)];
  }
  // k[i][j] = φ(z_i) φ(z_j) / (Σ_a φ(z_a))²
  std::vector<double> kernel(std::size_t(size * size));
  for (std::int64_t i = 0; i < size; ++i)
    for (std::int64_t j = 0; j < size; ++j)
      kernel[std::size_t(i * size + j)] = density[std::size_t(i)] * density[std::size_t(j)] / (total * total);
  return Tensor::from_data(kernel, {size, size}).to(DType::Float32);
}

// g′_c = k ∗ g_c for every channel c, zero padding k / 2
Tensor translation_smooth(const Tensor& g, const Tensor& kernel) {
  if (g.rank() != 4 || kernel.rank() != 2 || kernel.size(0) != kernel.size(1))
    throw ShapeError("translation_smooth: expected a gradient [N, C, H, W] and a kernel [k, k], got " +
                     g.shape().str() + " and " + kernel.shape().str());
  NoGradGuard no_grad;
  const std::int64_t channels = g.size(1), k = kernel.size(0);
  const Tensor weight = broadcast_to(kernel.to(g.dtype()).reshape({1, 1, k, k}), Shape{channels, 1, k, k});
  return conv2d(g, weight, Tensor(), {.padding = {k / 2, k / 2}, .groups = channels});
}

// x̃ = IDCT2(DCT2(x + ξ) ⊙ M),  ξ ~ N(0, σ²),  M = 1 − ρ + 2ρ · U[0, 1)
Tensor spectrum_simulation(const Tensor& x, double rho, double sigma, Generator& gen) {
  NoGradGuard no_grad;
  const Tensor noise = sigma * Tensor::randn(x.shape(), gen, x.dtype());
  const Tensor mask = (1.0 - rho) + 2.0 * rho * Tensor::rand(x.shape(), gen, x.dtype());
  return idct2(dct2(x.detach() + noise) * mask);
}

void TransferOptions::validate() const {
  require(std::isfinite(diversity_prob) && diversity_prob >= 0 && diversity_prob <= 1,
          "diversity_prob: " + std::to_string(diversity_prob) + " must lie in [0, 1]");
  require(ti_kernel >= 0 && (ti_kernel == 0 || ti_kernel % 2 == 1),
          "ti_kernel: " + std::to_string(ti_kernel) + " must be 0 (TI off) or a positive odd size");
  require(ssa_samples >= 0, "ssa_samples: " + std::to_string(ssa_samples) + " must be >= 0 (0: SSA off)");
  require(std::isfinite(ssa_rho) && ssa_rho >= 0 && ssa_rho <= 1,
          "ssa_rho: " + std::to_string(ssa_rho) + " must lie in [0, 1]");
  require(std::isfinite(ssa_sigma) && ssa_sigma >= 0,
          "ssa_sigma: " + std::to_string(ssa_sigma) + " must be a finite number >= 0");
  require(std::isfinite(ti_nsig) && ti_nsig > 0, "ti_nsig: " + std::to_string(ti_nsig) + " must be a finite number > 0");
}

GradientEstimator transfer_gradient(const TransferOptions& options) {
  options.validate();
  const Tensor kernel = options.ti_kernel > 0 ? gaussian_kernel(options.ti_kernel, options.ti_nsig) : Tensor();
  return [options, kernel](nn::Module& model, const Tensor& x, const Tensor& labels,
                           const SampleLoss& loss, Generator& gen) -> Tensor {
    const std::int64_t samples = std::max<std::int64_t>(options.ssa_samples, 1);
    Tensor total = Tensor::zeros(x.shape(), x.dtype());
    for (std::int64_t n = 0; n < samples; ++n) {
      const Tensor point = options.ssa_samples > 0
                               ? spectrum_simulation(x, options.ssa_rho, options.ssa_sigma, gen)
                               : x;
      const Tensor g = diverse_gradient(model, point, labels, loss, options.diversity_prob, gen);
      NoGradGuard no_grad;
      total = total + g;
    }
    NoGradGuard no_grad;
    // g = TI((1/N) Σ_n ∇_{x̃_n} L)
    const Tensor mean_gradient = total / double(samples);
    return kernel.defined() ? translation_smooth(mean_gradient, kernel) : mean_gradient;
  };
}

Trajectory TracedAttack::trace(nn::Module& model, const Tensor& x, const Tensor& labels) {
  struct TracingScope {
    bool& flag;
    explicit TracingScope(bool& f) : flag(f) { flag = true; }
    ~TracingScope() { flag = false; }
  } scope(tracing_);
  traced_ = {};
  const Tensor result = (*this)(model, x, labels);
  Trajectory trajectory = std::move(traced_);
  traced_ = {};
  trajectory.points.back() = result;
  return trajectory;
}

Tensor TracedAttack::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  Trajectory trajectory = follow(model, x, labels);
  const Tensor result = trajectory.points.back();
  if (tracing_) traced_ = std::move(trajectory);
  return result;
}

}  // namespace attrax::adversarial
