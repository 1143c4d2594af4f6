#pragma once
// Fast broadcasting loops. The output is seen as rows x `inner` where, along the trailing axes that
// make up `inner`, every operand is either laid out like the output (a contiguous run) or repeated
// (one value): per-channel scales, scalars and the expand of a reduction all reduce to such rows.
// Each row then runs a plain loop the compiler vectorises, rows and chunks of long rows are split
// over threads, and each element is computed the same way whichever thread runs it.
#include <algorithm>
#include <array>
#include <cstdint>

#include "engine/kernels/fast/elementwise.hpp"
#include "engine/kernels/reference/elementwise.hpp"
#include "engine/shape.hpp"

namespace attrax::kernels::fast {

// Below this row length the per-row bookkeeping costs more than the reference walk.
constexpr std::int64_t kMinBroadcastRun = 8;

template <int Inputs>
struct BroadcastRows {
  std::int64_t rows = 0, inner = 1;
  int outer_rank = 0;                                             // axes [0, outer_rank) index rows
  std::array<bool, Inputs> contiguous{};                          // a run per row, or one repeated value
  std::array<std::array<std::int64_t, Shape::kMaxRank>, Inputs> strides{};

  // Offset of row r's first element in input k.
  std::int64_t offset(const Shape& out, int k, std::int64_t r) const {
    std::int64_t at = 0;
    for (int axis = outer_rank - 1; axis >= 0; --axis) {
      at += r % out[axis] * strides[k][axis];
      r /= out[axis];
    }
    return at;
  }
};

// The rows of `out` for the inputs' shapes: trailing axes join `inner` while every input keeps one
// kind (contiguous: its stride equals the run so far; repeated: stride 0) on them.
template <int Inputs>
BroadcastRows<Inputs> broadcast_rows(const Shape& out, const std::array<Shape, Inputs>& inputs) {
  BroadcastRows<Inputs> plan;
  for (int k = 0; k < Inputs; ++k) plan.strides[k] = reference::broadcast_strides(inputs[k], out);
  std::array<int, Inputs> kind;  // -1 undecided, 0 repeated, 1 contiguous
  kind.fill(-1);
  int split = out.rank();
  for (; split > 0; --split) {
    const int axis = split - 1;
    if (out[axis] == 1) continue;
    std::array<int, Inputs> here;
    bool fits = true;
    for (int k = 0; k < Inputs; ++k) {
      const std::int64_t stride = plan.strides[k][axis];
      here[k] = stride == 0 ? 0 : stride == plan.inner ? 1 : 2;
      fits = fits && here[k] != 2 && (kind[k] == -1 || kind[k] == here[k]);
    }
    if (!fits) break;
    kind = here;
    plan.inner *= out[axis];
  }
  plan.outer_rank = split;
  plan.rows = plan.inner == 0 ? 0 : out.numel() / plan.inner;
  for (int k = 0; k < Inputs; ++k) plan.contiguous[k] = kind[k] != 0;
  return plan;
}

// Calls run(row, begin, end) for every row and chunk [begin, end) of kChunk elements of its run,
// over threads when the output is large.
template <class Run>
void for_each_row_chunk(std::int64_t rows, std::int64_t inner, Run run) {
  const std::int64_t chunks = (inner + kChunk - 1) / kChunk;
  parallel_for(rows * chunks, rows * inner >= kParallelElements, [&](std::int64_t item) {
    const std::int64_t begin = item % chunks * kChunk;
    run(item / chunks, begin, std::min(inner, begin + kChunk));
  });
}

// y = f(a, b) with broadcasting; false (nothing written) when the layout has no long enough runs.
template <class T, class F>
bool broadcast_binary(const Shape& out, const Shape& sa, const T* a, const Shape& sb, const T* b, T* y, F f) {
  const BroadcastRows<2> plan = broadcast_rows<2>(out, {sa, sb});
  if (plan.inner < kMinBroadcastRun) return false;
  const bool a_run = plan.contiguous[0], b_run = plan.contiguous[1];
  for_each_row_chunk(plan.rows, plan.inner, [&](std::int64_t row, std::int64_t begin, std::int64_t end) {
    const T* ar = a + plan.offset(out, 0, row);
    const T* br = b + plan.offset(out, 1, row);
    T* yr = y + row * plan.inner;
    if (a_run && b_run) {
      for (std::int64_t j = begin; j < end; ++j) yr[j] = f(ar[j], br[j]);
    } else if (a_run) {
      const T v = *br;
      for (std::int64_t j = begin; j < end; ++j) yr[j] = f(ar[j], v);
    } else if (b_run) {
      const T u = *ar;
      for (std::int64_t j = begin; j < end; ++j) yr[j] = f(u, br[j]);
    } else {
      std::fill(yr + begin, yr + end, f(*ar, *br));
    }
  });
  return true;
}

// y = x repeated along the broadcast axes of `out`; false (nothing written) as broadcast_binary.
template <class T>
bool broadcast_copy(const Shape& x_shape, const T* x, const Shape& out, T* y) {
  const BroadcastRows<1> plan = broadcast_rows<1>(out, {x_shape});
  if (plan.inner < kMinBroadcastRun) return false;
  for_each_row_chunk(plan.rows, plan.inner, [&](std::int64_t row, std::int64_t begin, std::int64_t end) {
    const T* xr = x + plan.offset(out, 0, row);
    T* yr = y + row * plan.inner;
    if (plan.contiguous[0]) std::copy(xr + begin, xr + end, yr + begin);
    else std::fill(yr + begin, yr + end, *xr);
  });
  return true;
}

}  // namespace attrax::kernels::fast
