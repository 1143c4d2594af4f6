#include "engine/ops/helpers.hpp"

#include <algorithm>
#include <array>

namespace attrax::detail {

std::string describe(const Tensor& t) {
  return t.shape().str() + " (" + dtype_name(t.dtype()) + ")";
}

void check_floating(const char* op, const Tensor& t, const char* role) {
  if (!t.defined()) throw Error(std::string(op) + ": " + role + " is undefined");
  if (!is_floating(t.dtype())) {
    throw DTypeError(std::string(op) + ": " + role + " must be float32 or float64, got int64 " +
                     t.shape().str());
  }
}

void check_same_float_dtype(const char* op, const Tensor& a, const Tensor& b) {
  check_floating(op, a, "first input");
  check_floating(op, b, "second input");
  if (a.dtype() != b.dtype()) {
    throw DTypeError(std::string(op) + ": inputs have different dtypes, " + describe(a) + " and " +
                     describe(b) + "; convert one with .to()");
  }
}

void check_index(const char* op, const Tensor& t, const char* role) {
  if (!t.defined()) throw Error(std::string(op) + ": " + role + " is undefined");
  if (t.dtype() != DType::Int64) {
    throw DTypeError(std::string(op) + ": " + role + " must be an int64 tensor, got " + describe(t));
  }
}

void check_rank(const char* op, const Tensor& t, int rank, const char* role, const char* layout) {
  if (!t.defined()) throw Error(std::string(op) + ": " + role + " is undefined");
  if (t.rank() != rank) {
    throw ShapeError(std::string(op) + ": " + role + " must have rank " + std::to_string(rank) +
                     " " + layout + ", got shape " + t.shape().str());
  }
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const int rank = std::max(a.rank(), b.rank());
  std::array<std::int64_t, Shape::kMaxRank> out{};
  for (int i = 0; i < rank; ++i) {
    const int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    const std::int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": cannot broadcast shapes " + a.str() + " and " + b.str() +
                       " (trailing extents must be equal or 1; reshape one input to line the axes "
                       "up)");
    }
    out[i] = da == 1 ? db : da;
  }
  return Shape(out.data(), std::size_t(rank));
}

}  // namespace attrax::detail
