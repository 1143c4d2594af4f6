// Threaded pooling and softmax against the reference loops: bit-identical, for 1 and 2 threads, on
// problems below and above the threading size, with padding, overlapping windows and tails.
#include <doctest/doctest.h>

#include <vector>

#include "engine/attrax.hpp"
#include "engine/kernels/fast/pool_softmax.hpp"
#include "engine/kernels/threading.hpp"

using namespace attrax;
using kernels::AxisGeometry;
using kernels::PoolGeometry;

namespace {

std::vector<float> random_values(std::int64_t n, std::uint64_t stream) {
  std::vector<float> v(static_cast<std::size_t>(n));
  Generator gen(31, stream);
  gen.fill_normal(v.data(), n);
  return v;
}

// Runs fast(threads) for 1 and 2 threads and reference() and checks all three agree exactly.
template <class Fast, class Reference>
void check_threads(Fast fast, Reference reference) {
  const int before = kernels::max_threads();
  kernels::set_threads(1);
  const auto one = fast();
  kernels::set_threads(2);
  const auto two = fast();
  kernels::set_threads(before);
  const auto ref = reference();
  CHECK(one == ref);
  CHECK(two == ref);
}

}  // namespace

TEST_CASE("threaded pooling matches the reference exactly") {
  // N, C, H, W, P, Q, kh, kw, sh, sw, ph, pw
  for (const PoolGeometry& g : {PoolGeometry{2, 3, 7, 9, 3, 4, 3, 3, 2, 2, 0, 0},
                                PoolGeometry{64, 16, 28, 28, 14, 14, 2, 2, 2, 2, 0, 0},
                                PoolGeometry{8, 32, 15, 15, 8, 8, 3, 3, 2, 2, 1, 1}}) {
    CAPTURE(g.N * g.C);
    const std::int64_t in = g.N * g.C * g.H * g.W, out = g.N * g.C * g.P * g.Q;
    const auto x = random_values(in, 1), dy = random_values(out, 2);
    using Values = std::pair<std::vector<float>, std::vector<std::int64_t>>;
    check_threads(
        [&] {
          Values v{std::vector<float>(std::size_t(out)), std::vector<std::int64_t>(std::size_t(out))};
          kernels::fast::max_pool2d_forward(g, x.data(), v.first.data(), v.second.data());
          return v;
        },
        [&] {
          Values v{std::vector<float>(std::size_t(out)), std::vector<std::int64_t>(std::size_t(out))};
          kernels::reference::max_pool2d_forward(g, x.data(), v.first.data(), v.second.data());
          return v;
        });
    check_threads(
        [&] {
          std::vector<float> y(static_cast<std::size_t>(out));
          kernels::fast::avg_pool2d_forward(g, x.data(), y.data());
          return y;
        },
        [&] {
          std::vector<float> y(static_cast<std::size_t>(out));
          kernels::reference::avg_pool2d_forward(g, x.data(), y.data());
          return y;
        });
    check_threads(
        [&] {
          std::vector<float> dx(static_cast<std::size_t>(in));
          kernels::fast::avg_pool2d_adjoint(g, dy.data(), dx.data());
          return dx;
        },
        [&] {
          std::vector<float> dx(static_cast<std::size_t>(in));
          kernels::reference::avg_pool2d_adjoint(g, dy.data(), dx.data());
          return dx;
        });
  }
}

TEST_CASE("threaded softmax matches the reference exactly") {
  for (const AxisGeometry& g : {AxisGeometry{5, 10, 1}, AxisGeometry{4096, 10, 1}, AxisGeometry{16, 21, 64},
                                AxisGeometry{1, 3, 7}}) {
    CAPTURE(g.outer);
    const std::int64_t n = g.outer * g.axis * g.inner;
    const auto x = random_values(n, 3);
    for (bool log : {false, true}) {
      check_threads(
          [&] {
            std::vector<float> y(static_cast<std::size_t>(n));
            kernels::fast::softmax(g, x.data(), y.data(), log);
            return y;
          },
          [&] {
            std::vector<float> y(static_cast<std::size_t>(n));
            kernels::reference::softmax(g, x.data(), y.data(), log);
            return y;
          });
    }
  }
}
