#pragma once
// The one place that chooses a kernel for each heavy op. float64 always runs the reference kernel
// (gradcheck's oracle); float32 runs the fastest kernel available for the problem: the xsimd/OpenMP
// kernels of engine/kernels/fast/ where they exist, Eigen for matmul, the reference kernel otherwise.
#include <cstdint>
#include <type_traits>

#include "engine/kernels/conv_epilogue.hpp"
#include "engine/kernels/fast/batch_norm.hpp"
#include "engine/kernels/fast/broadcast.hpp"
#include "engine/kernels/fast/conv.hpp"
#include "engine/kernels/fast/elementwise.hpp"
#include "engine/kernels/fast/pool_softmax.hpp"
#include "engine/kernels/fast/reduction.hpp"
#include "engine/kernels/geometry.hpp"
#include "engine/kernels/matmul_eigen.hpp"
#include "engine/kernels/reference/conv.hpp"
#include "engine/kernels/reference/elementwise.hpp"
#include "engine/kernels/reference/matmul.hpp"
#include "engine/kernels/reference/normalization.hpp"
#include "engine/kernels/reference/pool.hpp"
#include "engine/kernels/reference/reduction.hpp"
#include "engine/kernels/reference/resize.hpp"
#include "engine/kernels/reference/softmax.hpp"

namespace attrax::kernels {

// y[i] = f(x[i])
template <class T, class F>
void map(std::int64_t n, const T* x, T* y, F f) {
  if constexpr (std::is_same_v<T, float>) fast::map(n, x, y, f);
  else reference::map(n, x, y, f);
}

// y = f(a, b) with broadcasting (same shapes: the threaded loop)
template <class T, class F>
void binary(const Shape& out, const Shape& sa, const T* a, const Shape& sb, const T* b, T* y, F f) {
  if constexpr (std::is_same_v<T, float>) {
    if (sa == out && sb == out) return fast::zip(out.numel(), a, b, y, f);
    if (fast::broadcast_binary(out, sa, a, sb, b, y, f)) return;
  }
  reference::binary(out, sa, a, sb, b, y, f);
}

// out[k] = Σ of x over the elements that map to k of `kept` (x's shape with reduced axes set to 1)
template <class T>
void reduce_sum(const Shape& x_shape, const T* x, const Shape& kept, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    if (fast::reduce_sum(x_shape, x, kept, out)) return;
  }
  reference::reduce_sum(x_shape, x, kept, out);
}

// y = x repeated along the broadcast axes of `out`
template <class T>
void broadcast_copy(const Shape& x_shape, const T* x, const Shape& out, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    if (fast::broadcast_copy(x_shape, x, out, y)) return;
  }
  reference::broadcast_copy(x_shape, x, out, y);
}

template <class T>
void matmul(std::int64_t M, std::int64_t K, std::int64_t N, const T* a, const T* b, T* c) {
  if constexpr (std::is_same_v<T, float>) matmul_eigen(M, K, N, a, b, c);
  else reference::matmul(M, K, N, a, b, c);
}

template <class T>
void matmul_transposed_b(std::int64_t M, std::int64_t K, std::int64_t N, const T* a, const T* b,
                         T* c) {
  if constexpr (std::is_same_v<T, float>) matmul_transposed_b_eigen(M, K, N, a, b, c);
  else reference::matmul_transposed_b(M, K, N, a, b, c);
}

// The fast convolutions need at least one image (an empty batch has nothing to gain).
inline bool fast_conv(const ConvGeometry& g) { return g.N > 0; }

// The epilogue (residual add, ReLU) applied to y as the fast kernels store it; after the reference.
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y,
                    const T* scale = nullptr, const ConvEpilogue<T>& epilogue = {}) {
  if constexpr (std::is_same_v<T, float>) {
    if (fast_conv(g)) return fast::conv2d_forward(g, x, w, bias, y, scale, epilogue);
  }
  reference::conv2d_forward(g, x, w, bias, y, scale);
  epilogue.apply(y, 0, g.N * g.K * g.P * g.Q);
}

template <class T>
void conv2d_input_grad(const ConvGeometry& g, const T* dy, const T* w, T* dx) {
  if constexpr (std::is_same_v<T, float>) {
    if (fast_conv(g)) return fast::conv2d_input_grad(g, dy, w, dx);
  }
  reference::conv2d_input_grad(g, dy, w, dx);
}

template <class T>
void conv2d_weight_grad(const ConvGeometry& g, const T* x, const T* dy, T* dw) {
  if constexpr (std::is_same_v<T, float>) {
    if (fast_conv(g)) return fast::conv2d_weight_grad(g, x, dy, dw);
  }
  reference::conv2d_weight_grad(g, x, dy, dw);
}

template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, std::int64_t* argmax) {
  if constexpr (std::is_same_v<T, float>) fast::max_pool2d_forward(g, x, y, argmax);
  else reference::max_pool2d_forward(g, x, y, argmax);
}

template <class T>
void avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y) {
  if constexpr (std::is_same_v<T, float>) fast::avg_pool2d_forward(g, x, y);
  else reference::avg_pool2d_forward(g, x, y);
}

template <class T>
void avg_pool2d_adjoint(const PoolGeometry& g, const T* dy, T* dx) {
  if constexpr (std::is_same_v<T, float>) fast::avg_pool2d_adjoint(g, dy, dx);
  else reference::avg_pool2d_adjoint(g, dy, dx);
}

template <class T>
void upsample_bilinear(const ResizeGeometry& g, const T* x, T* y) {
  reference::upsample_bilinear(g, x, y);
}

template <class T>
void upsample_bilinear_adjoint(const ResizeGeometry& g, const T* dy, T* dx) {
  reference::upsample_bilinear_adjoint(g, dy, dx);
}

template <class T>
void batch_norm_statistics(const AxisGeometry& g, const T* x, T* mean, T* var) {
  if constexpr (std::is_same_v<T, float>) return fast::batch_norm_statistics(g, x, mean, var);
  else reference::batch_norm_statistics(g, x, mean, var);
}

template <class T>
void batch_norm_apply(const AxisGeometry& g, const T* x, const T* scale, const T* shift, T* y) {
  if constexpr (std::is_same_v<T, float>) return fast::batch_norm_apply(g, x, scale, shift, y);
  else reference::batch_norm_apply(g, x, scale, shift, y);
}

template <class T>
void batch_norm_apply_relu(const AxisGeometry& g, const T* x, const T* scale, const T* shift, const T* residual,
                           T* y) {
  if constexpr (std::is_same_v<T, float>) return fast::batch_norm_apply_relu(g, x, scale, shift, residual, y);
  else reference::batch_norm_apply_relu(g, x, scale, shift, residual, y);
}

template <class T>
void batch_norm_backward(const AxisGeometry& g, const T* x, const T* grad, const T* mean,
                         const T* invstd, const T* gamma, T* dx, T* dgamma, T* dbeta,
                         const ReluGate<T>* gate = nullptr) {
  if constexpr (std::is_same_v<T, float>) return fast::batch_norm_backward(g, x, grad, mean, invstd, gamma, dx, dgamma, dbeta, gate);
  else reference::batch_norm_backward(g, x, grad, mean, invstd, gamma, dx, dgamma, dbeta, gate);
}

template <class T>
void softmax(const AxisGeometry& g, const T* x, T* y, bool log) {
  if constexpr (std::is_same_v<T, float>) fast::softmax(g, x, y, log);
  else reference::softmax(g, x, y, log);
}

}  // namespace attrax::kernels
