#pragma once
// Reference 2-d pooling over NCHW planes: max pooling with its argmax, average pooling (padding
// counted in the divisor) and the exact adjoint of average pooling.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::reference {

// Calls visit(plane, y_offset, h, w) for every window of every plane, with y_offset inside one [P,Q]
// plane and (h, w) running over the window's positions inside [0,H) x [0,W) in row-major order.
template <class Visit>
void pool_windows(const PoolGeometry& g, Visit&& visit) {
  for (std::int64_t plane = 0; plane < g.N * g.C; ++plane) {
    for (std::int64_t p = 0; p < g.P; ++p) {
      const std::int64_t h0 = p * g.sh - g.ph;
      const std::int64_t h_begin = std::max<std::int64_t>(h0, 0), h_end = std::min(h0 + g.kh, g.H);
      for (std::int64_t q = 0; q < g.Q; ++q) {
        const std::int64_t w0 = q * g.sw - g.pw;
        const std::int64_t w_begin = std::max<std::int64_t>(w0, 0), w_end = std::min(w0 + g.kw, g.W);
        for (std::int64_t h = h_begin; h < h_end; ++h)
          for (std::int64_t w = w_begin; w < w_end; ++w) visit(plane, p * g.Q + q, h, w);
      }
    }
  }
}

// y[p,q] = max over the window of x,  argmax[p,q] = h W + w of its first maximum
template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, std::int64_t* argmax) {
  for (std::int64_t i = 0; i < g.N * g.C * g.P * g.Q; ++i) argmax[i] = -1;
  pool_windows(g, [&](std::int64_t plane, std::int64_t yo, std::int64_t h, std::int64_t w) {
    const std::int64_t out = plane * g.P * g.Q + yo, at = h * g.W + w;
    const T v = x[plane * g.H * g.W + at];
    if (argmax[out] < 0 || v > y[out]) {
      y[out] = v;
      argmax[out] = at;
    }
  });
}

// y[p,q] = Σ_window x / (kh kw)   (padded positions count as zeros)
template <class T>
void avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y) {
  const std::int64_t n = g.N * g.C * g.P * g.Q;
  for (std::int64_t i = 0; i < n; ++i) y[i] = T(0);
  pool_windows(g, [&](std::int64_t plane, std::int64_t yo, std::int64_t h, std::int64_t w) {
    y[plane * g.P * g.Q + yo] += x[plane * g.H * g.W + h * g.W + w];
  });
  for (std::int64_t i = 0; i < n; ++i) y[i] /= T(g.kh * g.kw);
}

// dx[h,w] = Σ_{windows containing (h,w)} dy[p,q] / (kh kw)
template <class T>
void avg_pool2d_adjoint(const PoolGeometry& g, const T* dy, T* dx) {
  const T scale = T(1) / T(g.kh * g.kw);
  for (std::int64_t i = 0; i < g.N * g.C * g.H * g.W; ++i) dx[i] = T(0);
  pool_windows(g, [&](std::int64_t plane, std::int64_t yo, std::int64_t h, std::int64_t w) {
    dx[plane * g.H * g.W + h * g.W + w] += scale * dy[plane * g.P * g.Q + yo];
  });
}

}  // namespace attrax::kernels::reference
