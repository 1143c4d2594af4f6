#pragma once
// An allocator for the engine's small bookkeeping objects (tensor and storage headers, each with its
// shared_ptr control block). Every op creates one or two of them and a steady loop frees as many as it
// creates, so after the first iteration they come from a free list instead of the heap: the inference
// path makes no heap calls in steady state (malloc is slow in some C libraries of edge systems, and
// its cost is unpredictable anywhere).
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>

namespace attrax::detail {

// Freed blocks of `Size` bytes, kept for reuse in a list threaded through the blocks themselves.
// Shared by all threads; never destroyed, so objects released during static destruction still find it.
template <std::size_t Size>
class BlockList {
  static_assert(Size >= sizeof(void*), "a free block holds the link to the next one");

 public:
  // Beyond this many kept blocks, freed ones go back to the heap.
  static constexpr std::size_t kMaxKept = std::size_t(1) << 16;

  static void* take() {
    State& s = state();
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (s.head) {
        Block* block = s.head;
        s.head = block->next;
        --s.kept;
        return block;
      }
    }
    return ::operator new(Size);
  }

  static void give(void* p) {
    State& s = state();
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (s.kept < kMaxKept) {
        Block* block = static_cast<Block*>(p);
        block->next = s.head;
        s.head = block;
        ++s.kept;
        return;
      }
    }
    ::operator delete(p);
  }

 private:
  struct Block {
    Block* next;
  };
  struct State {
    std::mutex mutex;
    Block* head = nullptr;
    std::size_t kept = 0;
  };
  static State& state() {
    static State* s = new State;
    return *s;
  }
};

// Single objects come from BlockList<sizeof(T)>; arrays (never asked for by allocate_shared) from
// the heap. For std::allocate_shared, which rebinds it to its control block type.
template <class T>
struct RecyclingAllocator {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "over-aligned types need their own list");
  using value_type = T;

  RecyclingAllocator() = default;
  template <class U>
  RecyclingAllocator(const RecyclingAllocator<U>&) {}

  T* allocate(std::size_t n) {
    if (n == 1) return static_cast<T*>(BlockList<sizeof(T)>::take());
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) {
    if (n == 1) {
      BlockList<sizeof(T)>::give(p);
    } else {
      std::allocator<T>().deallocate(p, n);
    }
  }

  friend bool operator==(const RecyclingAllocator&, const RecyclingAllocator&) { return true; }
};

}  // namespace attrax::detail
