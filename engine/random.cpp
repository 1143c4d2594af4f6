#include "engine/random.hpp"

#include <cmath>

namespace attrax {

namespace {

constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;  // round multipliers
constexpr std::uint32_t kKey0 = 0x9E3779B9u, kKey1 = 0xBB67AE85u;  // Weyl key increments

// 32 high bits of a word as a float in [0, 1): u = (w >> 8) * 2^-24.
inline double unit(std::uint32_t w) { return double(w >> 8) * (1.0 / 16777216.0); }

}  // namespace

std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> c,
                                        std::array<std::uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t(kMul0) * c[0];
    const std::uint64_t p1 = std::uint64_t(kMul1) * c[2];
    c = {std::uint32_t(p1 >> 32) ^ c[1] ^ k[0], std::uint32_t(p1),
         std::uint32_t(p0 >> 32) ^ c[3] ^ k[1], std::uint32_t(p0)};
    k = {k[0] + kKey0, k[1] + kKey1};
  }
  return c;
}

std::array<std::uint32_t, 4> Generator::block(std::uint64_t index) const {
  const std::uint64_t word_block = offset_ / 4 + index;
  return philox4x32({std::uint32_t(word_block), std::uint32_t(word_block >> 32),
                     std::uint32_t(stream_), std::uint32_t(stream_ >> 32)},
                    {std::uint32_t(seed_), std::uint32_t(seed_ >> 32)});
}

void Generator::advance(std::int64_t words) {
  // Round up to a whole block so the next draw starts on a fresh counter.
  offset_ += (static_cast<std::uint64_t>(words) + 3) / 4 * 4;
}

template <class T>
void Generator::fill_uniform(T* out, std::int64_t n) {
  for (std::int64_t b = 0; b * 4 < n; ++b) {
    const auto words = block(std::uint64_t(b));
    for (int j = 0; j < 4 && b * 4 + j < n; ++j) out[b * 4 + j] = static_cast<T>(unit(words[j]));
  }
  advance(n);
}

template <class T>
void Generator::fill_normal(T* out, std::int64_t n) {
  // Box-Muller on word pairs (u1, u2): z0 = r cos(2 pi u2), z1 = r sin(2 pi u2), r = sqrt(-2 ln u1),
  // with u1 in (0, 1] so the log is finite.
  constexpr double kTwoPi = 6.283185307179586;
  for (std::int64_t b = 0; b * 4 < n; ++b) {
    const auto w = block(std::uint64_t(b));
    for (int pair = 0; pair < 2; ++pair) {
      const double u1 = 1.0 - unit(w[2 * pair]);
      const double u2 = unit(w[2 * pair + 1]);
      const double r = std::sqrt(-2.0 * std::log(u1));
      const std::int64_t i = b * 4 + 2 * pair;
      if (i < n) out[i] = static_cast<T>(r * std::cos(kTwoPi * u2));
      if (i + 1 < n) out[i + 1] = static_cast<T>(r * std::sin(kTwoPi * u2));
    }
  }
  advance(n);
}

std::uint64_t Generator::next_below(std::uint64_t bound) {
  const auto w = block(0);
  advance(4);
  const std::uint64_t wide = (std::uint64_t(w[0]) << 32) | w[1];
  return bound ? wide % bound : 0;
}

template void Generator::fill_uniform<float>(float*, std::int64_t);
template void Generator::fill_uniform<double>(double*, std::int64_t);
template void Generator::fill_normal<float>(float*, std::int64_t);
template void Generator::fill_normal<double>(double*, std::int64_t);

}  // namespace attrax
