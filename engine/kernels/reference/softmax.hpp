#pragma once
// Reference softmax on x seen as [outer, axis, inner], normalised along the middle axis.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::reference {

// y = exp(x - m) / Σ exp(x - m), or with `log` y = (x - m) - log Σ exp(x - m), m = max along the
// axis (so no exponential overflows); the sum is accumulated in double.
template <class T>
void softmax(const AxisGeometry& g, const T* x, T* y, bool log) {
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t i = 0; i < g.inner; ++i) {
      const std::int64_t base = o * g.axis * g.inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (std::int64_t a = 0; a < g.axis; ++a) m = std::max(m, x[base + a * g.inner]);
      double total = 0.0;
      for (std::int64_t a = 0; a < g.axis; ++a) total += std::exp(double(x[base + a * g.inner] - m));
      const double log_total = std::log(total);
      for (std::int64_t a = 0; a < g.axis; ++a) {
        const double shifted = double(x[base + a * g.inner] - m);
        y[base + a * g.inner] = static_cast<T>(log ? shifted - log_total : std::exp(shifted) / total);
      }
    }
}

}  // namespace attrax::kernels::reference
