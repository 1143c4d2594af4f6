#pragma once
// Problem sizes handed to kernels: plain extents, no tensors, so kernels know nothing of autodiff.
#include <cstdint>

namespace attrax::kernels {

// x: [N,C,H,W], w: [K,C/groups,R,S], y: [N,K,P,Q]
struct ConvGeometry {
  std::int64_t N, C, H, W;
  std::int64_t K, R, S;
  std::int64_t P, Q;
  std::int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  std::int64_t groups;
};

// x: [N,C,H,W] -> y: [N,C,P,Q] with windows kh x kw, strides sh, sw and padding ph, pw
struct PoolGeometry {
  std::int64_t N, C, H, W;
  std::int64_t P, Q;
  std::int64_t kh, kw, sh, sw, ph, pw;
};

// x: [N,C,H,W] <-> y: [N,C,P,Q], bilinear, align_corners=false
struct ResizeGeometry {
  std::int64_t N, C, H, W;
  std::int64_t P, Q;
};

// A tensor seen as [outer, axis, inner] around one reduced or normalised axis.
struct AxisGeometry {
  std::int64_t outer, axis, inner;
};

}  // namespace attrax::kernels
