#pragma once
// Fast float sums onto a kept shape (x's shape with the reduced axes set to 1), on the rows of
// broadcast.hpp: the kept tensor is x's broadcast operand, either repeated along a row (the row is
// summed into one element: means over H,W, bias gradients) or laid out like it (rows add up
// elementwise: sums over leading axes). Rows meet their element in row order, in double as the
// reference, so the result does not depend on the thread count.
#include <cstdint>
#include <vector>

#include "engine/kernels/fast/broadcast.hpp"
#include "engine/kernels/fast/row_sum.hpp"

namespace attrax::kernels::fast {

// out = Σ of x over the elements that map to each element of kept; false (nothing written) when the
// layout has no long enough runs.
inline bool reduce_sum(const Shape& x_shape, const float* x, const Shape& kept, float* out) {
  const BroadcastRows<1> plan = broadcast_rows<1>(x_shape, {kept});
  if (plan.inner < kMinBroadcastRun) return false;
  thread_local std::vector<double> acc, sums;
  acc.assign(std::size_t(kept.numel()), 0.0);
  double* total = acc.data();
  const std::int64_t rows = plan.rows, inner = plan.inner;
  const bool parallel = rows * inner >= kParallelElements;
  if (plan.contiguous[0]) {
    // total[offset(row) + j] += x[row][j], each thread owning a chunk of j across all rows
    const std::int64_t chunks = (inner + kChunk - 1) / kChunk;
    parallel_for(chunks, parallel, [&](std::int64_t c) {
      const std::int64_t end = std::min(inner, (c + 1) * kChunk);
      for (std::int64_t row = 0; row < rows; ++row) {
        const float* xr = x + row * inner;
        double* tr = total + plan.offset(x_shape, 0, row);
        for (std::int64_t j = c * kChunk; j < end; ++j) tr[j] += double(xr[j]);
      }
    });
  } else {
    sums.resize(std::size_t(rows));
    double* row_sums = sums.data();
    parallel_for(rows, parallel,
                 [&](std::int64_t row) { row_sums[row] = double(row_sum(x + row * inner, inner)); });
    for (std::int64_t row = 0; row < rows; ++row) total[plan.offset(x_shape, 0, row)] += row_sums[row];
  }
  for (std::int64_t k = 0; k < kept.numel(); ++k) out[k] = float(total[k]);
  return true;
}

}  // namespace attrax::kernels::fast
