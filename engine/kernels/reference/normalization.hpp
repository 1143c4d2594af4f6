#pragma once
// Reference batch-normalisation kernels on x seen as [outer, axis, inner] = [N, C, H*W].
#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/kernels/geometry.hpp"
#include "engine/kernels/relu_gate.hpp"

namespace attrax::kernels::reference {

// mean[c] = Σ x[:, c, :] / n,  var[c] = Σ (x[:, c, :] - mean[c])² / n  (biased), n = outer * inner;
// two passes, accumulated in double.
template <class T>
void batch_norm_statistics(const AxisGeometry& g, const T* x, T* mean, T* var) {
  const double count = double(g.outer * g.inner);
  std::vector<double> mu(static_cast<std::size_t>(g.axis), 0.0), sq(mu.size(), 0.0);
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t c = 0; c < g.axis; ++c) {
      const T* row = x + (o * g.axis + c) * g.inner;
      for (std::int64_t i = 0; i < g.inner; ++i) mu[c] += row[i];
    }
  for (double& m : mu) m /= count;
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t c = 0; c < g.axis; ++c) {
      const T* row = x + (o * g.axis + c) * g.inner;
      for (std::int64_t i = 0; i < g.inner; ++i) sq[c] += (row[i] - mu[c]) * (row[i] - mu[c]);
    }
  for (std::int64_t c = 0; c < g.axis; ++c) {
    mean[c] = static_cast<T>(mu[c]);
    var[c] = static_cast<T>(sq[c] / count);
  }
}

// y[o, c, i] = x[o, c, i] scale[c] + shift[c]
template <class T>
void batch_norm_apply(const AxisGeometry& g, const T* x, const T* scale, const T* shift, T* y) {
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t c = 0; c < g.axis; ++c) {
      const std::int64_t base = (o * g.axis + c) * g.inner;
      for (std::int64_t i = 0; i < g.inner; ++i) y[base + i] = x[base + i] * scale[c] + shift[c];
    }
}

// y[o, c, i] = max(x[o, c, i] scale[c] + shift[c] + residual[o, c, i], 0), residual may be null
template <class T>
void batch_norm_apply_relu(const AxisGeometry& g, const T* x, const T* scale, const T* shift, const T* residual,
                           T* y) {
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t c = 0; c < g.axis; ++c) {
      const std::int64_t base = (o * g.axis + c) * g.inner;
      for (std::int64_t i = 0; i < g.inner; ++i) {
        const T pre = x[base + i] * scale[c] + shift[c] + (residual ? residual[base + i] : T(0));
        y[base + i] = pre > 0 ? pre : T(0);
      }
    }
}

// The first-order VJP of training-mode batch norm in two passes, with n = outer * inner,
// xhat = (x - mean) invstd, per channel Σg = Σ g and Σgx = Σ g xhat:
//   dx = gamma invstd (g - Σg / n - xhat Σgx / n),  dgamma = Σgx,  dbeta = Σg
// (gamma may be null: 1). Sums accumulated in double. Behind a ReLU (gate not null), g is
// grad ⊙ [y > 0] instead of grad (relu_gate.hpp).
template <class T>
void batch_norm_backward(const AxisGeometry& g, const T* x, const T* grad, const T* mean,
                         const T* invstd, const T* gamma, T* dx, T* dgamma, T* dbeta,
                         const ReluGate<T>* gate = nullptr) {
  const double count = double(g.outer * g.inner);
  std::vector<T> gated;
  if (gate) {
    gated.resize(static_cast<std::size_t>(g.outer * g.axis * g.inner));
    for (std::int64_t o = 0; o < g.outer; ++o)
      for (std::int64_t c = 0; c < g.axis; ++c) {
        const std::int64_t base = (o * g.axis + c) * g.inner;
        for (std::int64_t i = 0; i < g.inner; ++i) {
          const T pre = gate->output ? gate->output[base + i] : x[base + i] * gate->scale[c] + gate->shift[c];
          gated[std::size_t(base + i)] = pre > 0 ? grad[base + i] : T(0);
        }
      }
    if (gate->gated_grad) std::copy(gated.begin(), gated.end(), gate->gated_grad);
    grad = gated.data();
  }
  std::vector<double> sum_g(static_cast<std::size_t>(g.axis), 0.0), sum_gx(sum_g.size(), 0.0);
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t c = 0; c < g.axis; ++c) {
      const std::int64_t base = (o * g.axis + c) * g.inner;
      for (std::int64_t i = 0; i < g.inner; ++i) {
        sum_g[c] += grad[base + i];
        sum_gx[c] += grad[base + i] * (x[base + i] - mean[c]) * invstd[c];
      }
    }
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t c = 0; c < g.axis; ++c) {
      const std::int64_t base = (o * g.axis + c) * g.inner;
      const T gain = (gamma ? gamma[c] : T(1)) * invstd[c];
      const T mean_g = T(sum_g[c] / count), mean_gx = T(sum_gx[c] / count);
      for (std::int64_t i = 0; i < g.inner; ++i) {
        const T xhat = (x[base + i] - mean[c]) * invstd[c];
        dx[base + i] = gain * (grad[base + i] - mean_g - xhat * mean_gx);
      }
    }
  for (std::int64_t c = 0; c < g.axis; ++c) {
    dgamma[c] = T(sum_gx[c]);
    dbeta[c] = T(sum_g[c]);
  }
}

}  // namespace attrax::kernels::reference
