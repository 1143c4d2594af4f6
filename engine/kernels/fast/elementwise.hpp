#pragma once
// Fast elementwise loops: the reference loops split over threads in fixed chunks (each element is
// computed the same way whichever thread runs it, so results do not depend on the thread count); the
// compiler vectorises the loop bodies.
#include <cstdint>

#include "engine/kernels/threading.hpp"

namespace attrax::kernels::fast {

// Below this many elements one thread is faster than waking a team.
constexpr std::int64_t kParallelElements = std::int64_t(1) << 15;
constexpr std::int64_t kChunk = 4096;

// y[i] = f(x[i])
template <class T, class F>
void map(std::int64_t n, const T* x, T* y, F f) {
  parallel_for((n + kChunk - 1) / kChunk, n >= kParallelElements, [&](std::int64_t chunk) {
    const std::int64_t begin = chunk * kChunk, end = begin + kChunk < n ? begin + kChunk : n;
    for (std::int64_t i = begin; i < end; ++i) y[i] = f(x[i]);
  });
}

// y[i] = f(a[i], b[i])
template <class T, class F>
void zip(std::int64_t n, const T* a, const T* b, T* y, F f) {
  parallel_for((n + kChunk - 1) / kChunk, n >= kParallelElements, [&](std::int64_t chunk) {
    const std::int64_t begin = chunk * kChunk, end = begin + kChunk < n ? begin + kChunk : n;
    for (std::int64_t i = begin; i < end; ++i) y[i] = f(a[i], b[i]);
  });
}

}  // namespace attrax::kernels::fast
