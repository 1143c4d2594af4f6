#pragma once
// A convolution's epilogue (conv_epilogue.hpp) over one run of outputs, in vectors: the scalar loop
// the compiler makes of ConvEpilogue::apply leaves rows of 14 or 28 floats mostly to its scalar tail
// (applied to every output row of a Winograd forward pass it cost about what the passes it replaced
// had cost).
#include <cstdint>

#include "engine/kernels/conv_epilogue.hpp"
#include "engine/kernels/fast/tile_gemm.hpp"

namespace attrax::kernels::fast {

// relu(v + residual) as the epilogue sets them (the relu op's v > 0 ? v : 0).
inline Vec epilogue_of(const ConvEpilogue<float>& e, Vec v, const float* residual) {
  if (e.residual) v += Vec::load_unaligned(residual);
  if (e.relu) v = xsimd::select(v > Vec(0.f), v, Vec(0.f));
  return v;
}

// y[offset + i] = epilogue(src[i]) for i < n, src either a staging row or y + offset itself.
inline void epilogue_row(const ConvEpilogue<float>& e, const float* src, std::int64_t n, float* y,
                         std::int64_t offset) {
  float* out = y + offset;
  const float* residual = e.residual ? e.residual + offset : nullptr;
  std::int64_t i = 0;
  for (; i + kVec <= n; i += kVec)
    epilogue_of(e, Vec::load_unaligned(src + i), residual ? residual + i : nullptr).store_unaligned(out + i);
  if (i == n) return;
#if XSIMD_WITH_AVX512F
  const __mmask16 lanes = __mmask16((1u << (n - i)) - 1);
  Vec v = _mm512_maskz_loadu_ps(lanes, src + i);
  if (residual) v += Vec(_mm512_maskz_loadu_ps(lanes, residual + i));
  if (e.relu) v = xsimd::select(v > Vec(0.f), v, Vec(0.f));
  _mm512_mask_storeu_ps(out + i, lanes, v);
#else
  for (; i < n; ++i) {
    const float v = residual ? src[i] + residual[i] : src[i];
    out[i] = e.relu ? (v > 0.f ? v : 0.f) : v;
  }
#endif
}

}  // namespace attrax::kernels::fast
