#include "engine/kernels/fast/batch_norm.hpp"

#include <xsimd/xsimd.hpp>

#include <utility>
#include <vector>

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

// The calling thread's buffer of n doubles, kept between calls.
double* row_scratch(std::int64_t n) {
  thread_local std::vector<double> buffer;
  if (buffer.size() < std::size_t(n)) buffer.resize(std::size_t(n));
  return buffer.data();
}

// Σ_n part[n · axis + c] in image order, in double: the same sum whichever thread computed the rows.
double sum_over_images(const AxisGeometry& g, const double* part, std::int64_t c) {
  double total = 0;
  for (std::int64_t n = 0; n < g.outer; ++n) total += part[n * g.axis + c];
  return total;
}

}  // namespace

void batch_norm_statistics(const AxisGeometry& g, const float* x, float* mean, float* var) {
  const std::int64_t rows = g.outer * g.axis;
  const double count = double(g.outer * g.inner);
  double* row_sums = row_scratch(rows);
  ATTRAX_OMP(parallel) {
    // Σ over each row (n, c); rows split by images, as the convolutions split them
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t r = 0; r < rows; ++r) row_sums[r] = row_sum(x + r * g.inner, g.inner);
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t c = 0; c < g.axis; ++c) mean[c] = float(sum_over_images(g, row_sums, c) / count);
    // Σ (x - mean)² over each row, then over the images
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = x + r * g.inner;
      const float mu = mean[r % g.axis];
      const Vec mu_v(mu);
      row_sums[r] = row_sum(g.inner, [&](std::int64_t i) {
        const Vec d = Vec::load_unaligned(row + i) - mu_v;
        return d * d;
      }, [&](std::int64_t i) { return (row[i] - mu) * (row[i] - mu); });
    }
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t c = 0; c < g.axis; ++c) var[c] = float(sum_over_images(g, row_sums, c) / count);
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
  const std::int64_t rows = g.outer * g.axis;
  const double count = double(g.outer * g.inner);
  // row_g[r] = Σ g, row_gx[r] = Σ g (x - mean) over row r = (n, c)
  double* row_g = row_scratch(2 * rows);
  double* row_gx = row_g + rows;
  // per channel: gain = gamma invstd, mean_g = Σg / n, scaled_gx = invstd² Σgx / n
  float* gain = scratch(0, std::size_t(3 * g.axis));
  float* mean_g = gain + g.axis;
  float* scaled_gx = mean_g + g.axis;
  ATTRAX_OMP(parallel) {
    // rows split by images, as the convolutions split them
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto [sum_g, sum_gx] = gradient_sums(g.inner, grad + r * g.inner, x + r * g.inner, mean[r % g.axis]);
      row_g[r] = sum_g;
      row_gx[r] = sum_gx;
    }
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t c = 0; c < g.axis; ++c) {
      const double sum_g = sum_over_images(g, row_g, c), sum_gx = sum_over_images(g, row_gx, c) * invstd[c];
      gain[c] = (gamma ? gamma[c] : 1.f) * invstd[c];
      mean_g[c] = float(sum_g / count);
      scaled_gx[c] = float(sum_gx / count) * invstd[c];
      dgamma[c] = float(sum_gx);
      dbeta[c] = float(sum_g);
    }
    // dx = gain (grad - mean_g - (x - mean) · scaled_gx)
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t c = r % g.axis, base = r * g.inner;
      const Vec mu(mean[c]), gain_v(gain[c]), mean_g_v(mean_g[c]), scaled_v(scaled_gx[c]);
      std::int64_t i = 0;
      for (; i + kVec <= g.inner; i += kVec) {
        const Vec xhat_part = (Vec::load_unaligned(x + base + i) - mu) * scaled_v;
        (gain_v * (Vec::load_unaligned(grad + base + i) - mean_g_v - xhat_part)).store_unaligned(dx + base + i);
      }
      for (; i < g.inner; ++i)
        dx[base + i] = gain[c] * (grad[base + i] - mean_g[c] - (x[base + i] - mean[c]) * scaled_gx[c]);
    }
  }
}

}  // namespace attrax::kernels::fast
