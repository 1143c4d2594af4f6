// The fast broadcasting loops and sums against the reference walk: scalars, per-channel operands,
// expands and sums over H,W or the batch, both operands broadcast, extent-1 axes, and layouts too
// fragmented for the fast path.
#include <doctest/doctest.h>

#include <vector>

#include "engine/attrax.hpp"
#include "engine/kernels/fast/broadcast.hpp"
#include "engine/kernels/fast/reduction.hpp"
#include "engine/kernels/reference/elementwise.hpp"
#include "engine/kernels/reference/reduction.hpp"
#include "engine/kernels/threading.hpp"

using namespace attrax;

namespace {

std::vector<float> random_values(const Shape& shape, std::uint64_t stream) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  Generator gen(17, stream);
  gen.fill_normal(v.data(), shape.numel());
  return v;
}

// run() with 1 thread, then with 2; the thread count is restored afterwards.
template <class Run>
void with_one_then_two_threads(Run run) {
  const int before = kernels::max_threads();
  kernels::set_threads(1);
  run(1);
  kernels::set_threads(2);
  run(2);
  kernels::set_threads(before);
}

struct Pair {
  Shape out, a, b;
  bool fast;  // whether the layout has runs long enough for the fast path
};

}  // namespace

TEST_CASE("fast broadcasting binary loops match the reference walk") {
  const auto f = [](float u, float v) { return u > v ? u - 2.f * v : u * v; };
  const std::int64_t big = kernels::fast::kParallelElements;
  for (const Pair& p : {Pair{{128, 16, 28, 28}, {128, 16, 28, 28}, {}, true},       // scalar
                        Pair{{4, 16, 28, 28}, {1, 16, 1, 1}, {4, 16, 28, 28}, true},  // per channel
                        Pair{{4, 16, 7, 7}, {4, 16, 7, 7}, {4, 16, 1, 1}, true},      // expand of a mean
                        Pair{{3, 1, 28, 28}, {3, 1, 1, 1}, {1, 1, 28, 28}, true},     // both broadcast
                        Pair{{2, big / 8}, {1, big / 8}, {2, 1}, true},               // long rows
                        Pair{{6, 5, 3}, {6, 1, 3}, {6, 5, 3}, false},                  // runs of 3
                        Pair{{9, 10}, {9, 10}, {9, 1}, true}}) {
    CAPTURE(p.out.str());
    const auto a = random_values(p.a, 1), b = random_values(p.b, 2);
    std::vector<float> fast(static_cast<std::size_t>(p.out.numel()), 0.f), ref = fast;
    const bool used = kernels::fast::broadcast_binary(p.out, p.a, a.data(), p.b, b.data(), fast.data(), f);
    CHECK(used == p.fast);
    if (!used) continue;
    kernels::reference::binary(p.out, p.a, a.data(), p.b, b.data(), ref.data(), f);
    CHECK(fast == ref);
    // the operands swapped exercise the other repeated side
    kernels::fast::broadcast_binary(p.out, p.b, b.data(), p.a, a.data(), fast.data(), f);
    kernels::reference::binary(p.out, p.b, b.data(), p.a, a.data(), ref.data(), f);
    CHECK(fast == ref);
  }
}

TEST_CASE("fast broadcast copy matches the reference and is the same for 1 and 2 threads") {
  for (const Pair& p : {Pair{{64, 64, 7, 7}, {64, 64, 1, 1}, {}, true}, Pair{{5, 3, 20}, {1, 3, 20}, {}, true},
                        Pair{{300, 4, 2}, {300, 1, 2}, {}, false}}) {
    CAPTURE(p.out.str());
    const auto x = random_values(p.a, 3);
    std::vector<float> fast(static_cast<std::size_t>(p.out.numel()), 0.f), ref = fast, two = fast;
    bool used = false;
    with_one_then_two_threads([&](int threads) {
      used = kernels::fast::broadcast_copy(p.a, x.data(), p.out, (threads == 1 ? fast : two).data());
    });
    CHECK(used == p.fast);
    if (!used) continue;
    kernels::reference::broadcast_copy(p.a, x.data(), p.out, ref.data());
    CHECK(fast == ref);
    CHECK(two == ref);
  }
}

TEST_CASE("fast sums onto a kept shape match the reference and are the same for 1 and 2 threads") {
  for (const Pair& p : {Pair{{128, 64, 7, 7}, {128, 64, 1, 1}, {}, true},  // mean over H,W
                        Pair{{4, 16, 28, 28}, {1, 16, 1, 1}, {}, true},    // bias gradient
                        Pair{{2000, 40}, {1, 40}, {}, true},               // sum over the batch
                        Pair{{3, 50, 9}, {3, 1, 9}, {}, true},             // a middle axis
                        Pair{{6, 5, 3}, {6, 1, 3}, {}, false}}) {          // runs of 3
    CAPTURE(p.out.str());
    const auto x = random_values(p.out, 4);
    std::vector<float> fast(static_cast<std::size_t>(p.a.numel()), 0.f), ref = fast, two = fast;
    bool used = false;
    with_one_then_two_threads([&](int threads) {
      used = kernels::fast::reduce_sum(p.out, x.data(), p.a, (threads == 1 ? fast : two).data());
    });
    CHECK(used == p.fast);
    if (!used) continue;
    kernels::reference::reduce_sum(p.out, x.data(), p.a, ref.data());
    CHECK(fast == two);
    for (std::size_t k = 0; k < ref.size(); ++k) CHECK(fast[k] == doctest::Approx(ref[k]).epsilon(1e-5));
  }
}
