#pragma once
// Threading policy, in one place. Each op opens at most one OpenMP region (never nested) and splits
// its work in fixed static chunks whose results do not depend on which thread computes them, so every
// op gives bit-identical results for any thread count.
#include <cstddef>
#include <cstdint>

#ifdef ATTRAX_OPENMP
#include <omp.h>
#define ATTRAX_PRAGMA(text) _Pragma(#text)
#else
#define ATTRAX_PRAGMA(text)
#endif

// `ATTRAX_OMP(parallel for schedule(static))` expands to the OpenMP pragma when threads are on.
#define ATTRAX_OMP(text) ATTRAX_PRAGMA(omp text)

namespace attrax::kernels {

// Threads an op may use (OMP_NUM_THREADS or set_threads; 1 without OpenMP).
int max_threads();
void set_threads(int threads);

// The calling thread's share [begin, end) of `count` items, in fixed contiguous chunks (inside an
// OpenMP region; the whole range outside one).
struct Range {
  std::int64_t begin, end;
};
Range thread_range(std::int64_t count);

// Whether an op of about `flops` arithmetic operations on `images` images is worth a parallel region.
// When each thread can take whole images, from about 2 million (some 12 µs on one core): only the
// weights are shared, and the region's start and barrier cost a few µs (a ResNet-8 IG-32 pass, batch
// 32, ran its 1-channel stem and 1x1 shortcuts on one thread under the old 8 million, about 1 ms of
// its 7). Within one image, from about 8 million (some 50 µs): there the region's start, barrier and
// end, and moving the data both threads touch between their caches, cost about what the second
// thread saves: on the development VM, whose two vCPUs were often ~470 ns apart (a cross-core round
// trip), every batch-1 ResNet convolution ran slower on two threads than on one (16→16 channels at
// 28x28: 28.5 vs 22.5 µs).
bool worth_threads(double flops, std::int64_t images);

// Calls body(i) for every i < count: split over threads in fixed static chunks when `parallel` and
// more than one thread is allowed, otherwise on the calling thread without entering an OpenMP region
// (a region with a false `if` clause still costs libgomp about a microsecond: it starts a team of
// one and waits at its barrier, which for the many small ops of a batch-1 pass adds up).
template <class Body>
void parallel_for(std::int64_t count, bool parallel, Body body) {
  if (parallel && max_threads() > 1) {
    ATTRAX_OMP(parallel for schedule(static))
    for (std::int64_t i = 0; i < count; ++i) body(i);
  } else {
    for (std::int64_t i = 0; i < count; ++i) body(i);
  }
}

// Per-thread scratch memory reused across calls (so kernels do not allocate in steady state):
// `count` floats, 64-byte aligned, contents unspecified. Distinct `slot`s are distinct buffers.
float* scratch(int slot, std::size_t count);

}  // namespace attrax::kernels
