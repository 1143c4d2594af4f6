#pragma once
// Storage: one 64-byte aligned buffer shared by a tensor and its reshaped views.
#include <cstddef>
#include <memory>

namespace attrax {

class Storage {
 public:
  static constexpr std::size_t kAlignment = 64;

  // A buffer of `bytes` bytes (at least one cache line, so empty tensors are valid), zero-filled when
  // `zeroed`, otherwise left as allocated (for outputs an op writes in full).
  Storage(std::size_t bytes, bool zeroed);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* data_;
  std::size_t bytes_;
};

// A new Storage of `bytes` bytes (see the constructor), its header from a recycled block.
std::shared_ptr<Storage> make_storage(std::size_t bytes, bool zeroed);

// What the cache of freed buffers has done since the process started: buffers it had to take from
// the system (a steady loop stops adding to this after its first iteration) and bytes it now keeps.
struct BufferCacheStats {
  std::size_t system_allocations = 0;
  std::size_t cached_bytes = 0;
};
BufferCacheStats buffer_cache_stats();

}  // namespace attrax
