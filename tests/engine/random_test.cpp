// Counter-based generator: known answers, determinism, independence of streams and of draw splits.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/attrax.hpp"

using namespace attrax;

TEST_CASE("random: Philox4x32-10 matches the Random123 known-answer vectors") {
  CHECK(philox4x32({0, 0, 0, 0}, {0, 0}) ==
        std::array<std::uint32_t, 4>{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}) ==
        std::array<std::uint32_t, 4>{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(philox4x32({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}) ==
        std::array<std::uint32_t, 4>{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("random: same seed and stream reproduce and other streams differ") {
  Generator a(7, 1), b(7, 1), c(7, 2);
  const auto x = Tensor::randn({64}, a).to_vector();
  CHECK(x == Tensor::randn({64}, b).to_vector());
  CHECK(x != Tensor::randn({64}, c).to_vector());
}

TEST_CASE("random: a draw does not depend on how it is split into blocks") {
  Generator whole(3, 0), parts(3, 0);
  const auto all = Tensor::rand({8}, whole).to_vector();
  auto first = Tensor::rand({4}, parts).to_vector();
  const auto second = Tensor::rand({4}, parts).to_vector();
  first.insert(first.end(), second.begin(), second.end());
  CHECK(all == first);
}

TEST_CASE("random: uniform and normal have the right moments") {
  Generator gen(11, 0);
  const auto u = Tensor::rand({20000}, gen).to_vector();
  const auto z = Tensor::randn({20000}, gen, DType::Float64).to_vector();
  double umin = 1, umax = 0, usum = 0, zsum = 0, zsq = 0;
  for (double v : u) { umin = std::min(umin, v); umax = std::max(umax, v); usum += v; }
  for (double v : z) { zsum += v; zsq += v * v; }
  CHECK(umin >= 0.0);
  CHECK(umax < 1.0);
  CHECK(usum / u.size() == doctest::Approx(0.5).epsilon(0.02));
  CHECK(std::abs(zsum / z.size()) < 0.03);
  CHECK(zsq / z.size() == doctest::Approx(1.0).epsilon(0.03));
}

TEST_CASE("random: next_below stays in range") {
  Generator gen(5, 3);
  for (int i = 0; i < 100; ++i) CHECK(gen.next_below(10) < 10);
}
