#pragma once
// The vectorised row sum shared by the fast reductions (batch-norm statistics and gradients, sums
// onto a kept shape).
#include <xsimd/xsimd.hpp>

#include <cstdint>

namespace attrax::kernels::fast {

// Σ_i f(i) over i < n: vector lanes first (vec(i) gives elements i..i+width-1) in four independent
// accumulators, so the adds overlap instead of waiting on one chain, then the lanes and the tail
// (one(i)) in order.
template <class VecF, class OneF>
float row_sum(std::int64_t n, VecF vec, OneF one) {
  using Vec = xsimd::batch<float>;
  constexpr std::int64_t width = std::int64_t(Vec::size);
  Vec a0(0.f), a1(0.f), a2(0.f), a3(0.f);
  std::int64_t i = 0;
  for (; i + 4 * width <= n; i += 4 * width) {
    a0 += vec(i);
    a1 += vec(i + width);
    a2 += vec(i + 2 * width);
    a3 += vec(i + 3 * width);
  }
  for (; i + width <= n; i += width) a0 += vec(i);
  float total = xsimd::hadd((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) total += one(i);
  return total;
}

// Σ_j x[j] over n contiguous floats.
inline float row_sum(const float* x, std::int64_t n) {
  return row_sum(n, [x](std::int64_t i) { return xsimd::batch<float>::load_unaligned(x + i); },
                 [x](std::int64_t i) { return x[i]; });
}

}  // namespace attrax::kernels::fast
