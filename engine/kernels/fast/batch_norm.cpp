#include "engine/kernels/fast/batch_norm.hpp"

#include <xsimd/xsimd.hpp>

#include <utility>

#include "engine/kernels/fast/row_sum.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

namespace {

using Vec = xsimd::batch<float>;
constexpr std::int64_t kVec = std::int64_t(Vec::size);

// (Σ_i g[i], Σ_i g[i] (x[i] - mu)) over i < n in one pass, two accumulators per sum.
std::pair<float, float> gradient_sums(std::int64_t n, const float* g, const float* x, float mu) {
  const Vec mu_v(mu);
  Vec s0(0.f), s1(0.f), p0(0.f), p1(0.f);
  std::int64_t i = 0;
  for (; i + 2 * kVec <= n; i += 2 * kVec) {
    const Vec g0 = Vec::load_unaligned(g + i), g1 = Vec::load_unaligned(g + i + kVec);
    s0 += g0;
    s1 += g1;
    p0 = xsimd::fma(g0, Vec::load_unaligned(x + i) - mu_v, p0);
    p1 = xsimd::fma(g1, Vec::load_unaligned(x + i + kVec) - mu_v, p1);
  }
  for (; i + kVec <= n; i += kVec) {
    const Vec g0 = Vec::load_unaligned(g + i);
    s0 += g0;
    p0 = xsimd::fma(g0, Vec::load_unaligned(x + i) - mu_v, p0);
  }
  float sum_g = xsimd::hadd(s0 + s1), sum_gx = xsimd::hadd(p0 + p1);
  for (; i < n; ++i) {
    sum_g += g[i];
    sum_gx += g[i] * (x[i] - mu);
  }
  return {sum_g, sum_gx};
}

}  // namespace

void batch_norm_statistics(const AxisGeometry& g, const float* x, float* mean, float* var) {
  const double count = double(g.outer * g.inner);
  ATTRAX_OMP(parallel for schedule(static))
  for (std::int64_t c = 0; c < g.axis; ++c) {
    double sum = 0;
    for (std::int64_t n = 0; n < g.outer; ++n) {
      const float* row = x + (n * g.axis + c) * g.inner;
      sum += row_sum(row, g.inner);
    }
    const float mu = float(sum / count);
    const Vec mu_v(mu);
    double squares = 0;
    for (std::int64_t n = 0; n < g.outer; ++n) {
      const float* row = x + (n * g.axis + c) * g.inner;
      squares += row_sum(g.inner, [&](std::int64_t i) {
        const Vec d = Vec::load_unaligned(row + i) - mu_v;
        return d * d;
      }, [&](std::int64_t i) { return (row[i] - mu) * (row[i] - mu); });
    }
    mean[c] = mu;
    var[c] = float(squares / count);
  }
}

void batch_norm_apply(const AxisGeometry& g, const float* x, const float* scale, const float* shift,
                      float* y) {
  ATTRAX_OMP(parallel for schedule(static))
  for (std::int64_t r = 0; r < g.outer * g.axis; ++r) {
    const std::int64_t c = r % g.axis;
    const float* in = x + r * g.inner;
    float* out = y + r * g.inner;
    const Vec a(scale[c]), b(shift[c]);
    std::int64_t i = 0;
    for (; i + kVec <= g.inner; i += kVec) xsimd::fma(Vec::load_unaligned(in + i), a, b).store_unaligned(out + i);
    for (; i < g.inner; ++i) out[i] = in[i] * scale[c] + shift[c];
  }
}

void batch_norm_backward(const AxisGeometry& g, const float* x, const float* grad, const float* mean,
                         const float* invstd, const float* gamma, float* dx, float* dgamma,
                         float* dbeta) {
  const double count = double(g.outer * g.inner);
  ATTRAX_OMP(parallel for schedule(static))
  for (std::int64_t c = 0; c < g.axis; ++c) {
    const Vec mu(mean[c]);
    double sum_g = 0, sum_gx = 0;
    for (std::int64_t n = 0; n < g.outer; ++n) {
      const std::int64_t row = (n * g.axis + c) * g.inner;
      const auto [row_g, row_gx] = gradient_sums(g.inner, grad + row, x + row, mean[c]);
      sum_g += row_g;
      sum_gx += row_gx;
    }
    sum_gx *= invstd[c];
    const float gain = (gamma ? gamma[c] : 1.f) * invstd[c];
    const float mean_g = float(sum_g / count), scaled_gx = float(sum_gx / count) * invstd[c];
    // dx = gain (grad - mean_g - (x - mean) invstd · Σgx / n)
    const Vec gain_v(gain), mean_g_v(mean_g), scaled_v(scaled_gx);
    for (std::int64_t n = 0; n < g.outer; ++n) {
      const std::int64_t base = (n * g.axis + c) * g.inner;
      std::int64_t i = 0;
      for (; i + kVec <= g.inner; i += kVec) {
        const Vec xhat_part = (Vec::load_unaligned(x + base + i) - mu) * scaled_v;
        (gain_v * (Vec::load_unaligned(grad + base + i) - mean_g_v - xhat_part)).store_unaligned(dx + base + i);
      }
      for (; i < g.inner; ++i)
        dx[base + i] = gain * (grad[base + i] - mean_g - (x[base + i] - mean[c]) * scaled_gx);
    }
    dgamma[c] = float(sum_gx);
    dbeta[c] = float(sum_g);
  }
}

}  // namespace attrax::kernels::fast
