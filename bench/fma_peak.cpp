#include "bench/fma_peak.hpp"

#include <chrono>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "engine/kernels/threading.hpp"

namespace attrax::bench {

namespace {

using Batch = xsimd::batch<float>;
constexpr int kChains = 10;               // enough in flight to cover FMA latency × FMA ports
constexpr std::int64_t kBlock = 1 << 16;  // iterations between two reads of the clock

// x and y are read from volatiles so the compiler cannot fold the chains at compile time; x·y is so
// small that no accumulator leaves [0, 10] in any realistic run.
volatile float factor_x = 1e-5f;
volatile float factor_y = 1e-5f;
// Every chain's final value is stored here, so none of them is dead code.
volatile float sink;

// The FLOPs one thread completes in about `seconds`, and the time it took.
struct Run {
  double flops, elapsed;
};

Run run_chains(double seconds) {
  const Batch x(factor_x), y(factor_y);
  // Ten named accumulators rather than an array, so that every compiler keeps them in registers.
  Batch a0(0.f), a1(1.f), a2(2.f), a3(3.f), a4(4.f), a5(5.f), a6(6.f), a7(7.f), a8(8.f), a9(9.f);
  const auto start = std::chrono::steady_clock::now();
  std::int64_t iterations = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    for (std::int64_t k = 0; k < kBlock; ++k) {
      a0 = xsimd::fma(x, y, a0), a1 = xsimd::fma(x, y, a1), a2 = xsimd::fma(x, y, a2);
      a3 = xsimd::fma(x, y, a3), a4 = xsimd::fma(x, y, a4), a5 = xsimd::fma(x, y, a5);
      a6 = xsimd::fma(x, y, a6), a7 = xsimd::fma(x, y, a7), a8 = xsimd::fma(x, y, a8);
      a9 = xsimd::fma(x, y, a9);
    }
    iterations += kBlock;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  sink = xsimd::hadd(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
  return {2.0 * double(Batch::size) * kChains * double(iterations), elapsed};
}

}  // namespace

double fma_peak_gflops(double seconds) {
  double gflops = 0;
  ATTRAX_OMP(parallel reduction(+ : gflops))
  {
    const Run run = run_chains(seconds);
    gflops += run.flops / run.elapsed / 1e9;
  }
  return gflops;
}

}  // namespace attrax::bench
