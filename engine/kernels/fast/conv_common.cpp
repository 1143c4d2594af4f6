#include "engine/kernels/fast/conv_common.hpp"

#include <cstring>

#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

void pad_planes(const float* src, std::int64_t planes, std::int64_t H, std::int64_t W,
                std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right,
                float* dst) {
  const std::int64_t Hp = H + top + bottom, Wp = W + left + right;
  ATTRAX_OMP(for schedule(static))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    float* out = dst + plane * Hp * Wp;
    const float* in = src + plane * H * W;
    std::memset(out, 0, sizeof(float) * std::size_t(top * Wp));
    for (std::int64_t h = 0; h < H; ++h) {
      float* row = out + (top + h) * Wp;
      std::memset(row, 0, sizeof(float) * std::size_t(left));
      std::memcpy(row + left, in + h * W, sizeof(float) * std::size_t(W));
      std::memset(row + left + W, 0, sizeof(float) * std::size_t(right));
    }
    std::memset(out + (top + H) * Wp, 0, sizeof(float) * std::size_t(bottom * Wp));
  }
}

}  // namespace attrax::kernels::fast
