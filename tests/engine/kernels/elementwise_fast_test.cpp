// The threaded elementwise loops against the reference loops, above and below the threading size.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/attrax.hpp"
#include "engine/kernels/fast/elementwise.hpp"
#include "engine/kernels/reference/elementwise.hpp"

using namespace attrax;

TEST_CASE("fast elementwise loops match the reference") {
  for (std::int64_t n : {std::int64_t(7), kernels::fast::kParallelElements + 4099}) {
    std::vector<float> a(static_cast<std::size_t>(n)), b(a.size()), fast(a.size()), ref(a.size());
    Generator gen(3, 0);
    gen.fill_normal(a.data(), n);
    gen.fill_normal(b.data(), n);
    const auto f = [](float x) { return std::tanh(x) * 2.f; };
    kernels::fast::map(n, a.data(), fast.data(), f);
    kernels::reference::map(n, a.data(), ref.data(), f);
    CHECK(fast == ref);
    const auto g = [](float x, float y) { return x > 0 ? y : x * y; };
    const Shape shape{n};
    kernels::fast::zip(n, a.data(), b.data(), fast.data(), g);
    kernels::reference::binary(shape, shape, a.data(), shape, b.data(), ref.data(), g);
    CHECK(fast == ref);
  }
}
