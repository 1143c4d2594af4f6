#pragma once
// The machine's FP32 fused-multiply-add peak, the yardstick for every GFLOP/s figure of the bench.

namespace attrax::bench {

// GFLOP/s with kernels::max_threads() threads busy at once. Each thread runs 10 independent chains
// a_i ← x · y + a_i on xsimd::batch<float> for about `seconds`; its rate is
//   2 · lanes · 10 · iterations / elapsed
// and the rates of all threads are summed.
double fma_peak_gflops(double seconds = 0.3);

}  // namespace attrax::bench
