#pragma once
// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). Element i of a draw depends only
// on (seed, stream, offset + i), so results are bit-identical at any thread count and on any CPU.
#include <array>
#include <cstdint>

namespace attrax {

// Philox4x32-10: maps a 128-bit counter under a 64-bit key to four uniform 32-bit words.
std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> counter,
                                        std::array<std::uint32_t, 2> key);

class Generator {
 public:
  // `stream` separates independent uses of one seed (initialisation, data order, noise, attacks).
  explicit Generator(std::uint64_t seed = 0, std::uint64_t stream = 0)
      : seed_(seed), stream_(stream) {}

  std::uint64_t seed() const { return seed_; }
  std::uint64_t stream() const { return stream_; }
  // Number of 32-bit words consumed so far (draws start on 4-word block boundaries).
  std::uint64_t offset() const { return offset_; }
  void set_offset(std::uint64_t offset) { offset_ = offset; }

  // Fills out[0..n) with U[0, 1) (24-bit resolution) and advances the generator.
  template <class T> void fill_uniform(T* out, std::int64_t n);
  // Fills out[0..n) with N(0, 1) by Box-Muller and advances the generator.
  template <class T> void fill_normal(T* out, std::int64_t n);
  // One uniform integer in [0, bound).
  std::uint64_t next_below(std::uint64_t bound);

 private:
  // The four words of block `block` of the current draw.
  std::array<std::uint32_t, 4> block(std::uint64_t block) const;
  void advance(std::int64_t words);

  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t offset_ = 0;
};

}  // namespace attrax
