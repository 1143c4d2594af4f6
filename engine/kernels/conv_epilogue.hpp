#pragma once
// What a forward convolution does to its outputs as it stores them, so that a residual block's
//   y = relu(conv(x) + residual)
// costs no passes of its own over y: the residual (laid out like y) added, then the ReLU, each
// optional. The ReLU is the relu op's v > 0 ? v : 0 (a NaN becomes 0, as there).
#include <cstdint>

namespace attrax::kernels {

template <class T>
struct ConvEpilogue {
  const T* residual = nullptr;  // laid out like y, or null
  bool relu = false;

  bool empty() const { return residual == nullptr && !relu; }

  // y[i] = relu(y[i] + residual[i]) for i in [offset, offset + n), each part as set.
  void apply(T* y, std::int64_t offset, std::int64_t n) const {
    T* out = y + offset;
    const T* r = residual ? residual + offset : nullptr;
    if (r && relu) {
      for (std::int64_t i = 0; i < n; ++i) out[i] = out[i] + r[i] > T(0) ? out[i] + r[i] : T(0);
    } else if (r) {
      for (std::int64_t i = 0; i < n; ++i) out[i] += r[i];
    } else if (relu) {
      for (std::int64_t i = 0; i < n; ++i) out[i] = out[i] > T(0) ? out[i] : T(0);
    }
  }
};

}  // namespace attrax::kernels
