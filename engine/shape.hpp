#pragma once
// Shape: up to six extents, row-major. A rank-0 shape is a scalar with one element.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace attrax {

class Shape {
 public:
  static constexpr int kMaxRank = 6;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(const std::vector<std::int64_t>& dims);

  int rank() const { return rank_; }
  std::int64_t operator[](int axis) const { return dims_[axis]; }
  std::int64_t& operator[](int axis) { return dims_[axis]; }
  std::int64_t numel() const;
  const std::int64_t* begin() const { return dims_.data(); }
  const std::int64_t* end() const { return dims_.data() + rank_; }
  std::vector<std::int64_t> vec() const { return {begin(), end()}; }

  // Row-major strides in elements: stride[last] = 1.
  std::array<std::int64_t, kMaxRank> strides() const;
  // "[2, 3, 4]"
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b);

 private:
  void assign(const std::int64_t* dims, std::size_t count);

  std::array<std::int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

// Maps a possibly negative axis into [0, rank); throws IndexError naming op otherwise.
int normalize_axis(int axis, int rank, const char* op);

}  // namespace attrax
