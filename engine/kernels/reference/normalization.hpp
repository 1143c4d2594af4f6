#pragma once
// Reference batch-normalisation kernels on x seen as [outer, axis, inner] = [N, C, H*W].
#include <cstdint>
#include <vector>

#include "engine/kernels/geometry.hpp"

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

}  // namespace attrax::kernels::reference
