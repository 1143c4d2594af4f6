#pragma once
// Reference kernels that move data without arithmetic (permute, slice, concat, pad) and the
// gather / scatter_add pair. Indices are assumed valid: the ops check them before calling.
#include <array>
#include <cstdint>

#include "engine/shape.hpp"

namespace attrax::kernels::reference {

using Strides = std::array<std::int64_t, Shape::kMaxRank>;

// Calls visit(i, offsets[0..Inputs)) for every element i of `shape` in row-major order, where
// offsets[k] = Σ_axis index[axis] strides[k][axis].
template <int Inputs, class Visit>
void strided_walk(const Shape& shape, const std::array<Strides, Inputs>& strides, Visit&& visit) {
  Strides index{};
  std::array<std::int64_t, Inputs> offset{};
  const std::int64_t n = shape.numel();
  for (std::int64_t i = 0; i < n; ++i) {
    visit(i, offset);
    for (int axis = shape.rank() - 1; axis >= 0; --axis) {  // increment the multi-index with carry
      ++index[axis];
      for (int k = 0; k < Inputs; ++k) offset[k] += strides[k][axis];
      if (index[axis] < shape[axis]) break;
      for (int k = 0; k < Inputs; ++k) offset[k] -= strides[k][axis] * shape[axis];
      index[axis] = 0;
    }
  }
}

// y[i] = x[Σ index[a] x_strides[a]] over y's shape (x_strides already permuted onto y's axes).
template <class T>
void strided_copy(const Shape& y_shape, const Strides& x_strides, const T* x, T* y) {
  strided_walk<1>(y_shape, {x_strides}, [&](std::int64_t i, const std::array<std::int64_t, 1>& o) {
    y[i] = x[o[0]];
  });
}

// x: [outer, x_axis, inner] -> y: [outer, y_axis, inner], copying y_axis rows starting at row x_start
// of x into y from row y_start (a slice, or one piece of a concatenation).
template <class T>
void copy_rows(std::int64_t outer, std::int64_t inner, std::int64_t rows, std::int64_t x_axis,
               std::int64_t x_start, const T* x, std::int64_t y_axis, std::int64_t y_start, T* y) {
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* src = x + (o * x_axis + x_start) * inner;
    T* dst = y + (o * y_axis + y_start) * inner;
    for (std::int64_t k = 0; k < rows * inner; ++k) dst[k] = src[k];
  }
}

// y[index + before] = x[index] for every element of x (y already zero).
template <class T>
void pad_copy(const Shape& x_shape, const T* x, const Shape& y_shape, const Strides& before, T* y) {
  const Strides y_strides = y_shape.strides();
  std::int64_t base = 0;
  for (int axis = 0; axis < y_shape.rank(); ++axis) base += before[axis] * y_strides[axis];
  strided_walk<1>(x_shape, {y_strides}, [&](std::int64_t i, const std::array<std::int64_t, 1>& o) {
    y[base + o[0]] = x[i];
  });
}

// The strides of `shape` with `axis` zeroed: the offset of an element of an index-shaped walk in a
// tensor of `shape`, up to the position along `axis`.
inline Strides strides_without(const Shape& shape, int axis) {
  Strides s = shape.strides();
  s[axis] = 0;
  return s;
}

// y[i] = x[i with i_axis replaced by index[i]] for every i of index's shape (y has index's shape).
template <class T>
void gather(const Shape& x_shape, const T* x, int axis, const Shape& index_shape,
            const std::int64_t* index, T* y) {
  const std::int64_t step = x_shape.strides()[axis];
  strided_walk<1>(index_shape, {strides_without(x_shape, axis)},
                  [&](std::int64_t i, const std::array<std::int64_t, 1>& o) {
                    y[i] = x[o[0] + index[i] * step];
                  });
}

// y[i with i_axis replaced by index[i]] += src[i] for every i of index's shape (y holds x already).
template <class T>
void scatter_add(const Shape& y_shape, T* y, int axis, const Shape& index_shape,
                 const std::int64_t* index, const Shape& src_shape, const T* src) {
  const std::int64_t step = y_shape.strides()[axis];
  strided_walk<2>(index_shape, {strides_without(y_shape, axis), src_shape.strides()},
                  [&](std::int64_t i, const std::array<std::int64_t, 2>& o) {
                    y[o[0] + index[i] * step] += src[o[1]];
                  });
}

}  // namespace attrax::kernels::reference
