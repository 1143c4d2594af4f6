#include "engine/shape.hpp"

#include "engine/error.hpp"

namespace attrax {

Shape::Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.size()); }

Shape::Shape(const std::vector<std::int64_t>& dims) { assign(dims.data(), dims.size()); }

Shape::Shape(const std::int64_t* dims, std::size_t count) { assign(dims, count); }

void Shape::assign(const std::int64_t* dims, std::size_t count) {
  if (count > static_cast<std::size_t>(kMaxRank)) {
    throw ShapeError("Shape: rank " + std::to_string(count) + " exceeds the maximum of " +
                     std::to_string(kMaxRank) + " dimensions");
  }
  rank_ = static_cast<int>(count);
  for (int i = 0; i < rank_; ++i) {
    if (dims[i] < 0) {
      throw ShapeError("Shape: extent " + std::to_string(dims[i]) + " of axis " + std::to_string(i) +
                       " is negative");
    }
    dims_[i] = dims[i];
  }
}

std::int64_t Shape::numel() const {
  std::int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

std::array<std::int64_t, Shape::kMaxRank> Shape::strides() const {
  std::array<std::int64_t, kMaxRank> s{};
  std::int64_t step = 1;
  for (int i = rank_ - 1; i >= 0; --i) {
    s[i] = step;
    step *= dims_[i];
  }
  return s;
}

std::string Shape::str() const {
  std::string out = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) out += ", ";
    out += std::to_string(dims_[i]);
  }
  return out + "]";
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i)
    if (a.dims_[i] != b.dims_[i]) return false;
  return true;
}

Axes::Axes(std::initializer_list<int> axes) {
  for (int axis : axes) push_back(axis);
}

Axes::Axes(const std::vector<int>& axes) {
  for (int axis : axes) push_back(axis);
}

void Axes::push_back(int axis) {
  if (count_ == Shape::kMaxRank) {
    throw IndexError("axes: more than " + std::to_string(Shape::kMaxRank) +
                     " axes given; a tensor has at most that many");
  }
  axes_[std::size_t(count_++)] = axis;
}

int normalize_axis(int axis, int rank, const char* op) {
  const int normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank) {
    throw IndexError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for a " +
                     "tensor of rank " + std::to_string(rank) + " (valid: " + std::to_string(-rank) +
                     " to " + std::to_string(rank - 1) + ")");
  }
  return normalized;
}

}  // namespace attrax
