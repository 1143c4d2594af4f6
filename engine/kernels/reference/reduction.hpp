#pragma once
// Reference reductions: x reduced onto `kept` (x's shape with reduced axes set to 1).
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/kernels/reference/elementwise.hpp"

namespace attrax::kernels::reference {

// out[k] = sum of x over the elements that map to k (accumulated in double, in row-major order).
template <class T>
void reduce_sum(const Shape& x_shape, const T* x, const Shape& kept, T* out) {
  std::vector<double> acc(static_cast<std::size_t>(kept.numel()), 0.0);
  broadcast_walk<1>(x_shape, {kept}, [&](std::int64_t i, const std::array<std::int64_t, 1>& o) {
    acc[o[0]] += x[i];
  });
  for (std::size_t k = 0; k < acc.size(); ++k) out[k] = static_cast<T>(acc[k]);
}

// out[k] = max of x over the elements that map to k.
template <class T>
void reduce_max(const Shape& x_shape, const T* x, const Shape& kept, T* out) {
  for (std::int64_t k = 0; k < kept.numel(); ++k) out[k] = -std::numeric_limits<T>::infinity();
  broadcast_walk<1>(x_shape, {kept}, [&](std::int64_t i, const std::array<std::int64_t, 1>& o) {
    if (x[i] > out[o[0]]) out[o[0]] = x[i];
  });
}

// y = x repeated along the broadcast axes of `out`.
template <class T>
void broadcast_copy(const Shape& x_shape, const T* x, const Shape& out, T* y) {
  broadcast_walk<1>(out, {x_shape}, [&](std::int64_t i, const std::array<std::int64_t, 1>& o) {
    y[i] = x[o[0]];
  });
}

}  // namespace attrax::kernels::reference
