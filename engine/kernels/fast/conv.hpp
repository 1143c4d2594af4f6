#pragma once
// Fast float32 convolution kernels (implicit GEMM on the tile_gemm micro-kernel, OpenMP over
// images or output tiles). Each computes exactly what its reference twin in
// engine/kernels/reference/conv.hpp computes, up to float rounding.
#include "engine/kernels/conv_epilogue.hpp"
#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::fast {

// x: [N,C,H,W], w: [K,C/groups,R,S], bias: [K] or null -> y: [N,K,P,Q] (overwritten); the bias
// starts each output's accumulation, so it costs no pass of its own. scale: [K] or null; output
// channel k's weights are multiplied by scale[k] as they are packed (no pass over w either). The
// epilogue is applied as the outputs are stored (the Winograd rows and implicit GEMM kernels: while
// they are in L1), or in one pass after the kernel (the direct and pointwise kernels).
void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                    const float* scale = nullptr, const ConvEpilogue<float>& epilogue = {});
// dy: [N,K,P,Q], w: [K,C/groups,R,S] -> dx: [N,C,H,W] (overwritten)
void conv2d_input_grad(const ConvGeometry& g, const float* dy, const float* w, float* dx);
// x: [N,C,H,W], dy: [N,K,P,Q] -> dw: [K,C/groups,R,S] (overwritten)
void conv2d_weight_grad(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace attrax::kernels::fast
