#pragma once
// Pooling and softmax split over threads: planes (pooling) or outer rows (softmax) go to threads in
// fixed chunks, and each chunk runs the reference loops on a sub-problem of its own. A plane's or a
// row's values do not depend on the thread that computes them, so results are bit-identical to the
// reference for any thread count.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/fast/elementwise.hpp"
#include "engine/kernels/geometry.hpp"
#include "engine/kernels/reference/pool.hpp"
#include "engine/kernels/reference/softmax.hpp"

namespace attrax::kernels::fast {

// Calls run(first, count) for chunks of `units` units of `work_per_unit` elements each, over threads
// when the whole is large.
template <class Run>
void for_unit_chunks(std::int64_t units, std::int64_t work_per_unit, Run run) {
  const std::int64_t per_chunk = std::max<std::int64_t>(1, kChunk / std::max<std::int64_t>(1, work_per_unit));
  const std::int64_t chunks = (units + per_chunk - 1) / per_chunk;
  parallel_for(chunks, units * work_per_unit >= kParallelElements,
               [&](std::int64_t c) { run(c * per_chunk, std::min(per_chunk, units - c * per_chunk)); });
}

// The pooling problem of planes [first, first + count) of g, as one image of `count` channels.
inline PoolGeometry plane_range(const PoolGeometry& g, std::int64_t count) {
  PoolGeometry sub = g;
  sub.N = 1;
  sub.C = count;
  return sub;
}

template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, std::int64_t* argmax) {
  const std::int64_t in = g.H * g.W, out = g.P * g.Q;
  for_unit_chunks(g.N * g.C, in, [&](std::int64_t first, std::int64_t count) {
    reference::max_pool2d_forward(plane_range(g, count), x + first * in, y + first * out, argmax + first * out);
  });
}

template <class T>
void avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y) {
  const std::int64_t in = g.H * g.W, out = g.P * g.Q;
  for_unit_chunks(g.N * g.C, in, [&](std::int64_t first, std::int64_t count) {
    reference::avg_pool2d_forward(plane_range(g, count), x + first * in, y + first * out);
  });
}

template <class T>
void avg_pool2d_adjoint(const PoolGeometry& g, const T* dy, T* dx) {
  const std::int64_t in = g.H * g.W, out = g.P * g.Q;
  for_unit_chunks(g.N * g.C, in, [&](std::int64_t first, std::int64_t count) {
    reference::avg_pool2d_adjoint(plane_range(g, count), dy + first * out, dx + first * in);
  });
}

template <class T>
void softmax(const AxisGeometry& g, const T* x, T* y, bool log) {
  const std::int64_t row = g.axis * g.inner;
  for_unit_chunks(g.outer, row, [&](std::int64_t first, std::int64_t count) {
    reference::softmax(AxisGeometry{count, g.axis, g.inner}, x + first * row, y + first * row, log);
  });
}

}  // namespace attrax::kernels::fast
