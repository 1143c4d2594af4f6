// Inference under NoGradGuard makes no heap calls in steady state: after warm-up runs, a forward pass
// of a ResNet calls neither operator new nor the system allocator for tensor buffers. This file
// replaces the global operator new to count calls, so it is built as an executable of its own.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "engine/attrax.hpp"
#include "engine/kernels/threading.hpp"
#include "models/registry.hpp"

namespace {

std::atomic<long> heap_calls{0};

void* counted_allocation(std::size_t bytes) {
  heap_calls.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(bytes ? bytes : 1)) return p;
  throw std::bad_alloc();
}

void* counted_aligned_allocation(std::size_t bytes, std::align_val_t alignment) {
  heap_calls.fetch_add(1, std::memory_order_relaxed);
  const std::size_t align = static_cast<std::size_t>(alignment);
  // aligned_alloc needs a size that is a multiple of the alignment
  if (void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align + (bytes == 0) * align))
    return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t bytes) { return counted_allocation(bytes); }
void* operator new[](std::size_t bytes) { return counted_allocation(bytes); }
void* operator new(std::size_t bytes, std::align_val_t a) { return counted_aligned_allocation(bytes, a); }
void* operator new[](std::size_t bytes, std::align_val_t a) { return counted_aligned_allocation(bytes, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace attrax;

namespace {

struct HeapUse {
  long operator_new_calls;
  std::size_t buffers_from_system;
};

// Heap calls made by one run of `forward`.
template <class Forward>
HeapUse heap_use_of(Forward forward) {
  const long calls_before = heap_calls.load();
  const std::size_t buffers_before = buffer_cache_stats().system_allocations;
  forward();
  return {heap_calls.load() - calls_before, buffer_cache_stats().system_allocations - buffers_before};
}

}  // namespace

TEST_CASE("a ResNet forward pass without a tape makes no heap calls once warmed up") {
  for (const char* name : {"resnet8", "resnet20"}) {
    for (const std::int64_t batch : {std::int64_t(1), std::int64_t(3)}) {
      CAPTURE(name);
      CAPTURE(batch);
      Generator gen(5, 0);
      const auto model = models::create_model(models::config_for(name));
      model->eval();
      const Tensor x = Tensor::rand({batch, 1, 28, 28}, gen);
      Tensor logits, warm_logits;
      const auto infer = [&] {
        NoGradGuard no_grad;
        logits = (*model)(x);
      };
      infer();
      infer();
      warm_logits = logits.clone();
      logits = Tensor();

      const HeapUse steady = heap_use_of(infer);
      CHECK(steady.operator_new_calls == 0);
      CHECK(steady.buffers_from_system == 0);
      REQUIRE(logits.shape() == Shape{batch, 10});
      CHECK(logits.to_vector() == warm_logits.to_vector());
    }
  }
}

TEST_CASE("the counter sees the heap calls of a forward pass that records a tape") {
  Generator gen(5, 0);
  const auto model = models::create_model(models::config_for("resnet8"));
  model->eval();
  Tensor x = Tensor::rand({1, 1, 28, 28}, gen);
  x.requires_grad_();
  Tensor logits;
  const auto record = [&] { logits = (*model)(x); };
  record();
  logits = Tensor();
  // Every recorded op allocates its node: far more heap calls than ops in the model.
  CHECK(heap_use_of(record).operator_new_calls > 50);
}
