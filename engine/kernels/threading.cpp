#include "engine/kernels/threading.hpp"

#include <array>
#include <cstdlib>
#include <memory>
#include <new>

namespace attrax::kernels {

int max_threads() {
#ifdef ATTRAX_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_threads(int threads) {
#ifdef ATTRAX_OPENMP
  omp_set_num_threads(threads < 1 ? 1 : threads);
#else
  static_cast<void>(threads);
#endif
}

bool worth_threads(double flops, std::int64_t images) {
  constexpr double kWithinImages = 8e6, kAcrossImages = 2e6;
  return flops >= (images >= max_threads() ? kAcrossImages : kWithinImages);
}

Range thread_range(std::int64_t count) {
#ifdef ATTRAX_OPENMP
  const std::int64_t threads = omp_get_num_threads(), id = omp_get_thread_num();
  return {count * id / threads, count * (id + 1) / threads};
#else
  return {0, count};
#endif
}

namespace {

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

struct ScratchBuffer {
  std::unique_ptr<float, FreeDeleter> data;
  std::size_t capacity = 0;
};

constexpr int kSlots = 8;
thread_local std::array<ScratchBuffer, kSlots> buffers;

}  // namespace

float* scratch(int slot, std::size_t count) {
  ScratchBuffer& b = buffers.at(static_cast<std::size_t>(slot));
  if (count > b.capacity) {
    const std::size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    b.data.reset(p);
    b.capacity = bytes / sizeof(float);
  }
  return b.data.get();
}

}  // namespace attrax::kernels
