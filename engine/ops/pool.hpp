#pragma once
// Pooling over the spatial axes of NCHW tensors (floor output size, as PyTorch's default).
#include <array>
#include <cstdint>

#include "engine/tensor.hpp"

namespace attrax {

struct Pool2dOptions {
  std::array<std::int64_t, 2> kernel{2, 2};
  std::array<std::int64_t, 2> stride{0, 0};    // 0: equal to the kernel (PyTorch's default)
  std::array<std::int64_t, 2> padding{0, 0};   // implicit -inf (max) or zero (avg) padding
};

// x: [N,C,H,W] -> [N,C,P,Q]; the gradient goes to the first maximum of each window.
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options);
// x: [N,C,H,W] -> [N,C,P,Q]; mean over each window, padding counted (count_include_pad=True).
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options);
// x: [N,C,H,W] -> [N,C]
Tensor global_avg_pool2d(const Tensor& x);

// The adjoint of avg_pool2d (its VJP, and avg_pool2d is its VJP):
// dy: [N,C,P,Q] -> [N,C,in_h,in_w], each dy[p,q] / (kh kw) spread over its window.
Tensor avg_pool2d_adjoint(const Tensor& dy, const Pool2dOptions& options, std::int64_t in_h,
                          std::int64_t in_w);

}  // namespace attrax
