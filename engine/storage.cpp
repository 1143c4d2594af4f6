#include "engine/storage.hpp"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "engine/recycling_allocator.hpp"

namespace attrax {

namespace {

// Freed buffers kept for reuse, by size. Training and attribution loops allocate the same sizes
// step after step; reusing them avoids the page faults and zeroing of fresh memory from the system.
class BufferCache {
 public:
  static constexpr std::size_t kMaxCachedBytes = std::size_t(1) << 30;

  void* take(std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= bytes;
        return p;
      }
    }
    void* p = std::aligned_alloc(Storage::kAlignment, bytes);
    if (!p) throw std::bad_alloc();
    std::lock_guard<std::mutex> lock(mutex_);
    ++system_allocations_;
    return p;
  }

  void give(void* p, std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= kMaxCachedBytes) {
        free_[bytes].push_back(p);
        cached_ += bytes;
        return;
      }
    }
    std::free(p);
  }

  BufferCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {system_allocations_, cached_};
  }

 private:
  std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;
  std::size_t cached_ = 0;
  std::size_t system_allocations_ = 0;
};

BufferCache& cache() {
  // Never destroyed: storages owned by static tensors may be released after every other static.
  static BufferCache* instance = new BufferCache;
  return *instance;
}

// aligned_alloc needs a multiple of the alignment; at least one cache line so empty tensors are valid.
std::size_t rounded(std::size_t bytes) {
  return ((bytes + Storage::kAlignment - 1) / Storage::kAlignment + (bytes == 0)) * Storage::kAlignment;
}

}  // namespace

Storage::Storage(std::size_t bytes, bool zeroed) : bytes_(bytes) {
  data_ = cache().take(rounded(bytes));
  if (zeroed) std::memset(data_, 0, rounded(bytes));
}

Storage::~Storage() { cache().give(data_, rounded(bytes_)); }

std::shared_ptr<Storage> make_storage(std::size_t bytes, bool zeroed) {
  return std::allocate_shared<Storage>(detail::RecyclingAllocator<Storage>(), bytes, zeroed);
}

BufferCacheStats buffer_cache_stats() { return cache().stats(); }

}  // namespace attrax
