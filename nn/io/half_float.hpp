#pragma once
// Widening IEEE half and bfloat16 numbers to float32, bit by bit.
#include <bit>
#include <cstdint>

namespace attrax::nn {

// IEEE half (1 sign, 5 exponent bits biased by 15, 10 mantissa bits) to float (8 exponent bits biased
// by 127, 23 mantissa bits):
//   exponent 1..30: normal, (-1)^s * 1.m * 2^(e-15)  -> float exponent e + 112, mantissa m << 13
//   exponent 31:    inf (m = 0) or nan              -> float exponent 255, mantissa m << 13
//   exponent 0:     zero (m = 0) or subnormal m * 2^-24; with p the top set bit of m that is
//                   2^(p-24) * (m / 2^p), a normal float with exponent p + 103 and mantissa
//                   m << (23 - p) without its leading bit
inline float float_from_half(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fu;
  const std::uint32_t mantissa = half & 0x3ffu;
  std::uint32_t bits = sign;
  if (exponent == 0x1f) {
    bits |= 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits |= ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {
    const int top_bit = std::bit_width(mantissa) - 1;
    const auto float_exponent = static_cast<std::uint32_t>(top_bit + 103);
    bits |= (float_exponent << 23) | ((mantissa << (23 - top_bit)) & 0x7fffffu);
  }
  return std::bit_cast<float>(bits);
}

// bfloat16 is the top half of a float32.
inline float float_from_bfloat16(std::uint16_t bfloat) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bfloat) << 16);
}

}  // namespace attrax::nn
