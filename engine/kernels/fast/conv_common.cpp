#include "engine/kernels/fast/conv_common.hpp"

namespace attrax::kernels::fast {

namespace {

// dst[0, n) = 0
void clear(float* dst, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + kVec <= n; i += kVec) Vec(0.f).store_unaligned(dst + i);
  for (; i < n; ++i) dst[i] = 0.f;
}

// dst[0, n) = src[0, n): whole vectors, the last one overlapping its predecessor when n is not a
// multiple of the vector width (rewriting the same values), so rows of 7 to 30 floats need no
// scalar tail.
void copy_row(const float* src, std::int64_t n, float* dst) {
  if (n < kVec) {
    for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
    return;
  }
  for (std::int64_t i = 0; i + kVec < n; i += kVec) Vec::load_unaligned(src + i).store_unaligned(dst + i);
  Vec::load_unaligned(src + n - kVec).store_unaligned(dst + n - kVec);
}

}  // namespace

void pad_planes(const float* src, std::int64_t planes, std::int64_t H, std::int64_t W,
                std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right,
                float* dst) {
  const std::int64_t Hp = H + top + bottom, Wp = W + left + right;
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    float* out = dst + plane * Hp * Wp;
    const float* in = src + plane * H * W;
    clear(out, top * Wp + left);
    for (std::int64_t h = 0; h < H; ++h) {
      float* row = out + (top + h) * Wp + left;
      copy_row(in + h * W, W, row);
      // this row's right border and the next row's left border (or the bottom rows)
      clear(row + W, h + 1 < H ? right + left : right + bottom * Wp);
    }
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
