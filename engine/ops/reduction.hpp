#pragma once
// Reductions over all elements or over chosen axes (negative axes count from the end).
#include "engine/tensor.hpp"

namespace attrax {

// x: [...] -> [] (all) or x with `axes` removed (or kept as 1 with keepdim)
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Axes& axes, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Axes& axes, bool keepdim = false);
// Maximum; the gradient is shared evenly among tied maxima (as torch.amax).
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const Axes& axes, bool keepdim = false);
// log(sum(exp(x))), computed stably as m + log(sum(exp(x - m))) with m = max(x).
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim = false);

// Sums x down to `shape` (the inverse of broadcasting): the VJP of every broadcasting op.
Tensor sum_to(const Tensor& x, const Shape& shape);
// Repeats x along its extent-1 (or missing leading) axes to `shape`, as NumPy broadcasting.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

}  // namespace attrax
