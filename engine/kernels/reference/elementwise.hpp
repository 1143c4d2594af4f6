#pragma once
// Reference elementwise kernels: unary maps and N-d broadcasting walks (the oracle for fast paths).
#include <array>
#include <cstdint>

#include "engine/shape.hpp"

namespace attrax::kernels::reference {

// Strides of `in` laid against the axes of `out` (right-aligned), 0 where `in` is broadcast.
inline std::array<std::int64_t, Shape::kMaxRank> broadcast_strides(const Shape& in, const Shape& out) {
  std::array<std::int64_t, Shape::kMaxRank> result{};
  const auto strides = in.strides();
  const int shift = out.rank() - in.rank();
  for (int axis = 0; axis < in.rank(); ++axis)
    result[axis + shift] = in[axis] == 1 ? 0 : strides[axis];
  return result;
}

// Calls visit(out_index, offsets[0..Inputs)) for every element of `out` in row-major order, where
// offsets[k] is the matching element of input k under broadcasting. The last axis is a plain inner
// loop; the multi-index carry runs once per row.
template <int Inputs, class Visit>
void broadcast_walk(const Shape& out, const std::array<Shape, Inputs>& inputs, Visit&& visit) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  if (out.rank() == 0) {
    visit(std::int64_t(0), std::array<std::int64_t, Inputs>{});
    return;
  }
  std::array<std::array<std::int64_t, Shape::kMaxRank>, Inputs> strides;
  for (int k = 0; k < Inputs; ++k) strides[k] = broadcast_strides(inputs[k], out);
  const int last = out.rank() - 1;
  const std::int64_t inner = out[last];
  std::array<std::int64_t, Inputs> step;
  for (int k = 0; k < Inputs; ++k) step[k] = strides[k][last];
  std::array<std::int64_t, Shape::kMaxRank> index{};
  std::array<std::int64_t, Inputs> offset{};
  for (std::int64_t row = 0; row < n; row += inner) {
    std::array<std::int64_t, Inputs> at = offset;
    for (std::int64_t j = 0; j < inner; ++j) {
      visit(row + j, at);
      for (int k = 0; k < Inputs; ++k) at[k] += step[k];
    }
    for (int axis = last - 1; axis >= 0; --axis) {  // next row: increment the outer index with carry
      ++index[axis];
      for (int k = 0; k < Inputs; ++k) offset[k] += strides[k][axis];
      if (index[axis] < out[axis]) break;
      for (int k = 0; k < Inputs; ++k) offset[k] -= strides[k][axis] * out[axis];
      index[axis] = 0;
    }
  }
}

// y[i] = f(x[i])
template <class T, class F>
void map(std::int64_t n, const T* x, T* y, F f) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// y = f(a, b) with broadcasting
template <class T, class F>
void binary(const Shape& out, const Shape& sa, const T* a, const Shape& sb, const T* b, T* y, F f) {
  if (sa == out && sb == out) {
    const std::int64_t n = out.numel();
    for (std::int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
    return;
  }
  broadcast_walk<2>(out, {sa, sb}, [&](std::int64_t i, const std::array<std::int64_t, 2>& o) {
    y[i] = f(a[o[0]], b[o[1]]);
  });
}

}  // namespace attrax::kernels::reference
