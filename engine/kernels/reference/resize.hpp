#pragma once
// Reference bilinear resampling (align_corners=false, as torch.nn.functional.interpolate) and its
// exact adjoint.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::reference {

// The two source neighbours of one destination position and the weight of the upper one.
struct BilinearTap {
  std::int64_t lo, hi;
  double weight_hi;
};

// src = max((dst + 0.5) in / out - 0.5, 0),  lo = floor(src),  hi = min(lo + 1, in - 1)
inline std::vector<BilinearTap> bilinear_taps(std::int64_t in, std::int64_t out) {
  std::vector<BilinearTap> taps(static_cast<std::size_t>(out));
  const double scale = double(in) / double(out);
  for (std::int64_t d = 0; d < out; ++d) {
    const double src = std::max((double(d) + 0.5) * scale - 0.5, 0.0);
    const std::int64_t lo = std::min(static_cast<std::int64_t>(src), in - 1);
    taps[d] = {lo, std::min(lo + 1, in - 1), src - double(lo)};
  }
  return taps;
}

// Calls visit(plane, y_offset, x_offset, weight) for the four taps of every output element, with
// offsets inside one [P,Q] and one [H,W] plane.
template <class Visit>
void bilinear_walk(const ResizeGeometry& g, Visit&& visit) {
  const std::vector<BilinearTap> rows = bilinear_taps(g.H, g.P), cols = bilinear_taps(g.W, g.Q);
  for (std::int64_t plane = 0; plane < g.N * g.C; ++plane) {
    for (std::int64_t p = 0; p < g.P; ++p) {
      const BilinearTap& r = rows[p];
      for (std::int64_t q = 0; q < g.Q; ++q) {
        const BilinearTap& c = cols[q];
        const std::int64_t y = p * g.Q + q;
        visit(plane, y, r.lo * g.W + c.lo, (1 - r.weight_hi) * (1 - c.weight_hi));
        visit(plane, y, r.lo * g.W + c.hi, (1 - r.weight_hi) * c.weight_hi);
        visit(plane, y, r.hi * g.W + c.lo, r.weight_hi * (1 - c.weight_hi));
        visit(plane, y, r.hi * g.W + c.hi, r.weight_hi * c.weight_hi);
      }
    }
  }
}

// x: [N,C,H,W] -> y: [N,C,P,Q],  y[p,q] = Σ_taps w x[h,w]
template <class T>
void upsample_bilinear(const ResizeGeometry& g, const T* x, T* y) {
  for (std::int64_t i = 0; i < g.N * g.C * g.P * g.Q; ++i) y[i] = T(0);
  bilinear_walk(g, [&](std::int64_t plane, std::int64_t yo, std::int64_t xo, double w) {
    y[plane * g.P * g.Q + yo] += T(w) * x[plane * g.H * g.W + xo];
  });
}

// dy: [N,C,P,Q] -> dx: [N,C,H,W],  dx[h,w] = Σ_{p,q with tap (h,w)} w dy[p,q]
template <class T>
void upsample_bilinear_adjoint(const ResizeGeometry& g, const T* dy, T* dx) {
  for (std::int64_t i = 0; i < g.N * g.C * g.H * g.W; ++i) dx[i] = T(0);
  bilinear_walk(g, [&](std::int64_t plane, std::int64_t yo, std::int64_t xo, double w) {
    dx[plane * g.H * g.W + xo] += T(w) * dy[plane * g.P * g.Q + yo];
  });
}

}  // namespace attrax::kernels::reference
