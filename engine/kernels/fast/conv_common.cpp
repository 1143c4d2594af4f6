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

}  // namespace attrax::kernels::fast
