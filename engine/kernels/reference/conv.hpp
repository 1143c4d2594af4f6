#pragma once
// Naive grouped 2-D convolution and its two adjoints: the oracle for every fast conv path.
// x: [N,C,H,W], w: [K,C/groups,R,S], y: [N,K,P,Q]; output channel k reads the input channels of its
// group, k / (K/groups); positions outside the input read zero.
#include <cstdint>

#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::reference {

namespace conv_detail {

// Input row (or column) read by output position p through kernel tap r: p stride - pad + r dilation.
inline std::int64_t tap(std::int64_t p, std::int64_t r, std::int64_t stride, std::int64_t pad,
                        std::int64_t dilation) {
  return p * stride - pad + r * dilation;
}

// Calls f(n, k, c, p, q, ih, iw, r, s) for every product x[n,c,ih,iw] w[k,c-c0,r,s] that contributes
// to y[n,k,p,q], with c0 the first input channel of k's group; (ih, iw) always lies inside the input.
template <class F>
void for_each_tap(const ConvGeometry& g, F f) {
  const std::int64_t Cg = g.C / g.groups, Kg = g.K / g.groups;
  for (std::int64_t n = 0; n < g.N; ++n)
    for (std::int64_t k = 0; k < g.K; ++k)
      for (std::int64_t c = (k / Kg) * Cg; c < (k / Kg + 1) * Cg; ++c)
        for (std::int64_t p = 0; p < g.P; ++p)
          for (std::int64_t r = 0; r < g.R; ++r) {
            const std::int64_t ih = tap(p, r, g.stride_h, g.pad_h, g.dil_h);
            if (ih < 0 || ih >= g.H) continue;
            for (std::int64_t q = 0; q < g.Q; ++q)
              for (std::int64_t s = 0; s < g.S; ++s) {
                const std::int64_t iw = tap(q, s, g.stride_w, g.pad_w, g.dil_w);
                if (iw < 0 || iw >= g.W) continue;
                f(n, k, c, p, q, ih, iw, r, s);
              }
          }
}

// Flat offsets of x[n,c,h,w], w[k,c',r,s] and y[n,k,p,q].
inline std::int64_t x_at(const ConvGeometry& g, std::int64_t n, std::int64_t c, std::int64_t ih,
                         std::int64_t iw) {
  return ((n * g.C + c) * g.H + ih) * g.W + iw;
}
inline std::int64_t w_at(const ConvGeometry& g, std::int64_t k, std::int64_t c, std::int64_t r,
                         std::int64_t s) {
  return ((k * (g.C / g.groups) + c % (g.C / g.groups)) * g.R + r) * g.S + s;
}
inline std::int64_t y_at(const ConvGeometry& g, std::int64_t n, std::int64_t k, std::int64_t p,
                         std::int64_t q) {
  return ((n * g.K + k) * g.P + p) * g.Q + q;
}

template <class T>
void fill_zero(std::int64_t count, T* out) {
  for (std::int64_t i = 0; i < count; ++i) out[i] = T(0);
}

}  // namespace conv_detail

// y[n,k,p,q] = bias[k] + Σ_{c in k's group, r, s} x[n, c, p sh - ph + r dh, q sw - pw + s dw] w[k, c', r, s] scale[k]
// (bias null: no bias; scale null: 1)
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y,
                    const T* scale = nullptr) {
  using namespace conv_detail;
  const std::int64_t PQ = g.P * g.Q;
  for (std::int64_t i = 0; i < g.N * g.K * PQ; ++i) y[i] = bias ? bias[i / PQ % g.K] : T(0);
  for_each_tap(g, [&](std::int64_t n, std::int64_t k, std::int64_t c, std::int64_t p,
                      std::int64_t q, std::int64_t ih, std::int64_t iw, std::int64_t r,
                      std::int64_t s) {
    const T weight = scale ? w[w_at(g, k, c, r, s)] * scale[k] : w[w_at(g, k, c, r, s)];
    y[y_at(g, n, k, p, q)] += x[x_at(g, n, c, ih, iw)] * weight;
  });
}

// dx[n,c,h,w] = Σ over the taps that read x[n,c,h,w] of dy[n,k,p,q] w[k,c',r,s]  (forward's adjoint in x)
template <class T>
void conv2d_input_grad(const ConvGeometry& g, const T* dy, const T* w, T* dx) {
  using namespace conv_detail;
  fill_zero(g.N * g.C * g.H * g.W, dx);
  for_each_tap(g, [&](std::int64_t n, std::int64_t k, std::int64_t c, std::int64_t p,
                      std::int64_t q, std::int64_t ih, std::int64_t iw, std::int64_t r,
                      std::int64_t s) {
    dx[x_at(g, n, c, ih, iw)] += dy[y_at(g, n, k, p, q)] * w[w_at(g, k, c, r, s)];
  });
}

// dw[k,c',r,s] = Σ_{n,p,q} x[n, c, p sh - ph + r dh, q sw - pw + s dw] dy[n,k,p,q]  (adjoint in w)
template <class T>
void conv2d_weight_grad(const ConvGeometry& g, const T* x, const T* dy, T* dw) {
  using namespace conv_detail;
  fill_zero(g.K * (g.C / g.groups) * g.R * g.S, dw);
  for_each_tap(g, [&](std::int64_t n, std::int64_t k, std::int64_t c, std::int64_t p,
                      std::int64_t q, std::int64_t ih, std::int64_t iw, std::int64_t r,
                      std::int64_t s) {
    dw[w_at(g, k, c, r, s)] += x[x_at(g, n, c, ih, iw)] * dy[y_at(g, n, k, p, q)];
  });
}

}  // namespace attrax::kernels::reference
