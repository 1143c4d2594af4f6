#include "engine/kernels/fast/conv_common.hpp"

namespace attrax::kernels::fast {

// Plain loops rather than memcpy/memset: rows are short (7 to 30 floats), where call overhead
// dominates.
void pad_planes(const float* src, std::int64_t planes, std::int64_t H, std::int64_t W,
                std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right,
                float* dst) {
  const std::int64_t Hp = H + top + bottom, Wp = W + left + right;
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    float* out = dst + plane * Hp * Wp;
    const float* in = src + plane * H * W;
    for (std::int64_t i = 0; i < top * Wp; ++i) out[i] = 0.f;
    for (std::int64_t h = 0; h < H; ++h) {
      float* row = out + (top + h) * Wp;
      const float* from = in + h * W;
      for (std::int64_t i = 0; i < left; ++i) row[i] = 0.f;
      for (std::int64_t i = 0; i < W; ++i) row[left + i] = from[i];
      for (std::int64_t i = left + W; i < Wp; ++i) row[i] = 0.f;
    }
    for (std::int64_t i = (top + H) * Wp; i < Hp * Wp; ++i) out[i] = 0.f;
  }
}

const std::int64_t* kernel_taps(const ConvGeometry& g, std::int64_t Wp, std::int64_t plane) {
  thread_local std::vector<std::int64_t> taps;
  const std::int64_t Cg = g.C / g.groups;
  taps.resize(std::size_t(Cg * g.R * g.S));
  for (std::int64_t c = 0; c < Cg; ++c)
    for (std::int64_t r = 0; r < g.R; ++r)
      for (std::int64_t s = 0; s < g.S; ++s)
        taps[std::size_t((c * g.R + r) * g.S + s)] = c * plane + r * g.dil_h * Wp + s * g.dil_w;
  return taps.data();
}

const std::int64_t* position_bases(const ConvGeometry& g, std::int64_t Wp) {
  thread_local std::vector<std::int64_t> bases;
  bases.resize(std::size_t(g.P * g.Q));
  for (std::int64_t p = 0; p < g.P; ++p)
    for (std::int64_t q = 0; q < g.Q; ++q) bases[std::size_t(p * g.Q + q)] = p * g.stride_h * Wp + q * g.stride_w;
  return bases.data();
}

}  // namespace attrax::kernels::fast
