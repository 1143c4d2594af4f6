#include "engine/storage.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace attrax {

Storage::Storage(std::size_t bytes, bool zeroed) : bytes_(bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment.
  const std::size_t rounded = ((bytes + kAlignment - 1) / kAlignment + (bytes == 0)) * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded);
  if (!data_) throw std::bad_alloc();
  if (zeroed) std::memset(data_, 0, rounded);
}

Storage::~Storage() { std::free(data_); }

}  // namespace attrax
