#include "engine/kernels/fast/batch_norm.hpp"

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <utility>
#include <vector>

#include "engine/kernels/fast/row_sum.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

namespace {

using Vec = xsimd::batch<float>;
constexpr std::int64_t kVec = std::int64_t(Vec::size);

// Where batch norm's output gradient comes from: grad itself, or grad behind a ReLU's gate [y > 0]
// read from the ReLU's output y or recomputed from x (see relu_gate.hpp).
enum class Gate { None, FromInput, FromOutput };

// x a + b, the ReLU's input when no residual is added (the backward gate recomputes it the same way)
inline Vec affine(const float* x, std::int64_t i, const Vec& a, const Vec& b) {
  return xsimd::fma(Vec::load_unaligned(x + i), a, b);
}
inline float affine(const float* x, std::int64_t i, float a, float b) { return std::fma(x[i], a, b); }

// max(v, 0) as the relu op computes it: v where v > 0, else 0 (NaN included), the gate's test
inline Vec relu(const Vec& v) { return xsimd::select(v > Vec(0.f), v, Vec(0.f)); }
inline float relu(float v) { return v > 0 ? v : 0.f; }

// One row's gradient at batch norm's output, by vector (at) and by value (one).
template <Gate kGate>
struct RowGradient {
  const float* grad;
  const float* x;  // FromInput: the gate is [x a + b > 0]
  const float* y;  // FromOutput: the gate is [y > 0]
  float a = 0, b = 0;

  Vec at(std::int64_t i) const {
    const Vec g = Vec::load_unaligned(grad + i);
    if constexpr (kGate == Gate::None) return g;
    else if constexpr (kGate == Gate::FromInput) return xsimd::select(affine(x, i, Vec(a), Vec(b)) > Vec(0.f), g, Vec(0.f));
    else return xsimd::select(Vec::load_unaligned(y + i) > Vec(0.f), g, Vec(0.f));
  }
  float one(std::int64_t i) const {
    if constexpr (kGate == Gate::None) return grad[i];
    else if constexpr (kGate == Gate::FromInput) return affine(x, i, a, b) > 0 ? grad[i] : 0.f;
    else return y[i] > 0 ? grad[i] : 0.f;
  }
};

// (Σ_i g[i], Σ_i g[i] (x[i] - mu)) over i < n in one pass, two accumulators per sum; g[i] is also
// stored to `gated` when not null.
template <class Gradient>
std::pair<float, float> gradient_sums(std::int64_t n, const Gradient& grad, const float* x, float mu, float* gated) {
  const Vec mu_v(mu);
  Vec s0(0.f), s1(0.f), p0(0.f), p1(0.f);
  std::int64_t i = 0;
  for (; i + 2 * kVec <= n; i += 2 * kVec) {
    const Vec g0 = grad.at(i), g1 = grad.at(i + kVec);
    if (gated) {
      g0.store_unaligned(gated + i);
      g1.store_unaligned(gated + i + kVec);
    }
    s0 += g0;
    s1 += g1;
    p0 = xsimd::fma(g0, Vec::load_unaligned(x + i) - mu_v, p0);
    p1 = xsimd::fma(g1, Vec::load_unaligned(x + i + kVec) - mu_v, p1);
  }
  for (; i + kVec <= n; i += kVec) {
    const Vec g0 = grad.at(i);
    if (gated) g0.store_unaligned(gated + i);
    s0 += g0;
    p0 = xsimd::fma(g0, Vec::load_unaligned(x + i) - mu_v, p0);
  }
  float sum_g = xsimd::hadd(s0 + s1), sum_gx = xsimd::hadd(p0 + p1);
  for (; i < n; ++i) {
    const float g = grad.one(i);
    if (gated) gated[i] = g;
    sum_g += g;
    sum_gx += g * (x[i] - mu);
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

// One pass over x: each row r = (n, c) of n_r = inner values is summed, and while it is still in
// cache its deviations from its own centre a_r = Σ x / n_r (rounded to float) are summed, once and
// squared: d_r = Σ (x - a_r), q_r = Σ (x - a_r)². Then the channel's mean is m = Σ_r (n_r a_r + d_r) / n
// and, exactly,
//   Σ (x - m)² = Σ_r [q_r + 2 (a_r - m) d_r + n_r (a_r - m)²]
// with no digits lost to cancellation: the deviations are summed about a centre near the values.
void batch_norm_statistics(const AxisGeometry& g, const float* x, float* mean, float* var) {
  const std::int64_t rows = g.outer * g.axis;
  const double count = double(g.outer * g.inner), per_row = double(g.inner);
  double* row_centres = row_scratch(3 * rows);
  double* row_deviations = row_centres + rows;
  double* row_squares = row_deviations + rows;
  ATTRAX_OMP(parallel) {
    // rows split by images, as the convolutions split them
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = x + r * g.inner;
      const float a = float(row_sum(row, g.inner) / per_row);
      const Vec a_v(a);
      row_centres[r] = a;
      row_deviations[r] = row_sum(g.inner, [&](std::int64_t i) { return Vec::load_unaligned(row + i) - a_v; },
                                  [&](std::int64_t i) { return row[i] - a; });
      row_squares[r] = row_sum(g.inner, [&](std::int64_t i) {
        const Vec d = Vec::load_unaligned(row + i) - a_v;
        return d * d;
      }, [&](std::int64_t i) { return (row[i] - a) * (row[i] - a); });
    }
    // per channel, the rows in image order
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t c = 0; c < g.axis; ++c) {
      double total = 0;
      for (std::int64_t n = 0; n < g.outer; ++n) {
        const std::int64_t r = n * g.axis + c;
        total += per_row * row_centres[r] + row_deviations[r];
      }
      const double m = total / count;
      double squares = 0;
      for (std::int64_t n = 0; n < g.outer; ++n) {
        const std::int64_t r = n * g.axis + c;
        const double offset = row_centres[r] - m;
        squares += row_squares[r] + 2 * offset * row_deviations[r] + per_row * offset * offset;
      }
      mean[c] = float(m);
      var[c] = float(squares / count);
    }
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
    for (; i + kVec <= g.inner; i += kVec) affine(in, i, a, b).store_unaligned(out + i);
    for (; i < g.inner; ++i) out[i] = affine(in, i, scale[c], shift[c]);
  }
}

void batch_norm_apply_relu(const AxisGeometry& g, const float* x, const float* scale, const float* shift,
                           const float* residual, float* y) {
  ATTRAX_OMP(parallel for schedule(static))
  for (std::int64_t r = 0; r < g.outer * g.axis; ++r) {
    const std::int64_t c = r % g.axis, base = r * g.inner;
    const Vec a(scale[c]), b(shift[c]);
    std::int64_t i = 0;
    if (residual) {
      for (; i + kVec <= g.inner; i += kVec)
        relu(affine(x + base, i, a, b) + Vec::load_unaligned(residual + base + i)).store_unaligned(y + base + i);
      for (; i < g.inner; ++i) y[base + i] = relu(affine(x + base, i, scale[c], shift[c]) + residual[base + i]);
    } else {
      for (; i + kVec <= g.inner; i += kVec) relu(affine(x + base, i, a, b)).store_unaligned(y + base + i);
      for (; i < g.inner; ++i) y[base + i] = relu(affine(x + base, i, scale[c], shift[c]));
    }
  }
}

namespace {

// The backward kernel with batch norm's output gradient taken through kGate (see RowGradient).
template <Gate kGate>
void backward(const AxisGeometry& g, const float* x, const float* grad, const float* mean, const float* invstd,
              const float* gamma, const ReluGate<float>& gate, float* dx, float* dgamma, float* dbeta) {
  const std::int64_t rows = g.outer * g.axis;
  const double count = double(g.outer * g.inner);
  // row_g[r] = Σ g, row_gx[r] = Σ g (x - mean) over row r = (n, c)
  double* row_g = row_scratch(2 * rows);
  double* row_gx = row_g + rows;
  // per channel: gain = gamma invstd, mean_g = Σg / n, scaled_gx = invstd² Σgx / n
  float* gain = scratch(0, std::size_t(3 * g.axis));
  float* mean_g = gain + g.axis;
  float* scaled_gx = mean_g + g.axis;
  const auto row_gradient = [&](std::int64_t r) {
    const std::int64_t c = r % g.axis, base = r * g.inner;
    return RowGradient<kGate>{grad + base, x + base, gate.output ? gate.output + base : nullptr,
                              gate.scale ? gate.scale[c] : 0.f, gate.shift ? gate.shift[c] : 0.f};
  };
  ATTRAX_OMP(parallel) {
    // rows split by images, as the convolutions split them
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t r = 0; r < rows; ++r) {
      float* gated = gate.gated_grad ? gate.gated_grad + r * g.inner : nullptr;
      const auto [sum_g, sum_gx] = gradient_sums(g.inner, row_gradient(r), x + r * g.inner, mean[r % g.axis], gated);
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
    // dx = gain (g - mean_g - (x - mean) · scaled_gx), g read back from gated_grad when stored
    ATTRAX_OMP(for schedule(static))
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t c = r % g.axis, base = r * g.inner;
      const auto body = [&](const auto& gradient) {
        const Vec mu(mean[c]), gain_v(gain[c]), mean_g_v(mean_g[c]), scaled_v(scaled_gx[c]);
        std::int64_t i = 0;
        for (; i + kVec <= g.inner; i += kVec) {
          const Vec xhat_part = (Vec::load_unaligned(x + base + i) - mu) * scaled_v;
          (gain_v * (gradient.at(i) - mean_g_v - xhat_part)).store_unaligned(dx + base + i);
        }
        for (; i < g.inner; ++i)
          dx[base + i] = gain[c] * (gradient.one(i) - mean_g[c] - (x[base + i] - mean[c]) * scaled_gx[c]);
      };
      if (gate.gated_grad) body(RowGradient<Gate::None>{gate.gated_grad + base, nullptr, nullptr});
      else body(row_gradient(r));
    }
  }
}

}  // namespace

void batch_norm_backward(const AxisGeometry& g, const float* x, const float* grad, const float* mean,
                         const float* invstd, const float* gamma, float* dx, float* dgamma, float* dbeta,
                         const ReluGate<float>* gate) {
  if (!gate) return backward<Gate::None>(g, x, grad, mean, invstd, gamma, {}, dx, dgamma, dbeta);
  if (gate->output) return backward<Gate::FromOutput>(g, x, grad, mean, invstd, gamma, *gate, dx, dgamma, dbeta);
  backward<Gate::FromInput>(g, x, grad, mean, invstd, gamma, *gate, dx, dgamma, dbeta);
}

}  // namespace attrax::kernels::fast
