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
  Shape(const std::int64_t* dims, std::size_t count);

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

// A list of at most Shape::kMaxRank axis numbers, stored inline: reductions run at every step and a
// std::vector of axes would allocate each time. Built from a braced list or a std::vector.
class Axes {
 public:
  Axes() = default;
  Axes(std::initializer_list<int> axes);
  Axes(const std::vector<int>& axes);  // NOLINT(google-explicit-constructor): callers keep vectors

  // Throws IndexError when the list already holds Shape::kMaxRank axes.
  void push_back(int axis);
  std::size_t size() const { return std::size_t(count_); }
  bool empty() const { return count_ == 0; }
  const int* begin() const { return axes_.data(); }
  const int* end() const { return axes_.data() + count_; }
  int operator[](std::size_t i) const { return axes_[i]; }

 private:
  std::array<int, Shape::kMaxRank> axes_{};
  int count_ = 0;
};

// Maps a possibly negative axis into [0, rank); throws IndexError naming op otherwise.
int normalize_axis(int axis, int rank, const char* op);

}  // namespace attrax
