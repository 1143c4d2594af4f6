#include "engine/kernels/fast/batch_norm.hpp"

#include <xsimd/xsimd.hpp>

#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

namespace {

using Vec = xsimd::batch<float>;
constexpr std::int64_t kVec = std::int64_t(Vec::size);

// Σ_i f(i) over i < n: vector lanes first (vec(i) gives elements i..i+kVec-1), then the lanes and
// the tail (one(i)) in order.
template <class VecF, class OneF>
float row_sum(std::int64_t n, VecF vec, OneF one) {
  Vec acc(0.f);
  std::int64_t i = 0;
  for (; i + kVec <= n; i += kVec) acc += vec(i);
  float total = xsimd::hadd(acc);
  for (; i < n; ++i) total += one(i);
  return total;
}

}  // namespace

void batch_norm_statistics(const AxisGeometry& g, const float* x, float* mean, float* var) {
  const double count = double(g.outer * g.inner);
  ATTRAX_OMP(parallel for schedule(static))
  for (std::int64_t c = 0; c < g.axis; ++c) {
    double sum = 0;
    for (std::int64_t n = 0; n < g.outer; ++n) {
      const float* row = x + (n * g.axis + c) * g.inner;
      sum += row_sum(g.inner, [&](std::int64_t i) { return Vec::load_unaligned(row + i); },
                     [&](std::int64_t i) { return row[i]; });
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
      const float* gr = grad + (n * g.axis + c) * g.inner;
      const float* xr = x + (n * g.axis + c) * g.inner;
      sum_g += row_sum(g.inner, [&](std::int64_t i) { return Vec::load_unaligned(gr + i); },
                       [&](std::int64_t i) { return gr[i]; });
      sum_gx += row_sum(g.inner, [&](std::int64_t i) {
        return Vec::load_unaligned(gr + i) * (Vec::load_unaligned(xr + i) - mu);
      }, [&](std::int64_t i) { return gr[i] * (xr[i] - mean[c]); });
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
