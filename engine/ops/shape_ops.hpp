#pragma once
// Ops that move data without arithmetic: layout, slicing, joining, padding, resampling, indexing.
#include <cstdint>
#include <vector>

#include "engine/tensor.hpp"

namespace attrax {

// Merges axes start..end (inclusive, negative from the end) into one, as torch.flatten.
Tensor flatten(const Tensor& x, int start_axis = 0, int end_axis = -1);
// y.shape[i] = x.shape[dims[i]]; dims is a permutation of 0..rank-1.
Tensor permute(const Tensor& x, const std::vector<int>& dims);
// Swaps two axes.
Tensor transpose(const Tensor& x, int axis0, int axis1);
// Elements start..end-1 along axis (negative positions count from the end, as Python).
Tensor slice(const Tensor& x, int axis, std::int64_t start, std::int64_t end);
// Joins tensors along an existing axis; all other extents must agree.
Tensor concat(const std::vector<Tensor>& xs, int axis);
// Joins tensors along a new axis; all shapes must agree.
Tensor stack(const std::vector<Tensor>& xs, int axis = 0);
// Zero padding: before[i] and after[i] elements added on axis i (one entry per axis).
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& before,
           const std::vector<std::int64_t>& after);
// x: [N,C,H,W] -> [N,C,out_h,out_w], bilinear with align_corners=false (as F.interpolate).
Tensor upsample_bilinear(const Tensor& x, std::int64_t out_h, std::int64_t out_w);
// The adjoint of upsample_bilinear: dy: [N,C,out_h,out_w] -> [N,C,in_h,in_w].
Tensor upsample_bilinear_adjoint(const Tensor& dy, std::int64_t in_h, std::int64_t in_w);
// y[..i..] = x[..index[..i..]..] along axis; index: int64 with x's rank (as torch.gather).
Tensor gather(const Tensor& x, int axis, const Tensor& index);
// x with src added at index positions along axis (as torch.scatter_add): the adjoint of gather.
Tensor scatter_add(const Tensor& x, int axis, const Tensor& index, const Tensor& src);
// Selects whole slices along axis: index is int64 [M] -> x with extent M on axis.
Tensor index_select(const Tensor& x, int axis, const Tensor& index);
// labels: int64 [N] with values in [0, num_classes) -> [N, num_classes] 0/1 (no gradient).
Tensor one_hot(const Tensor& labels, std::int64_t num_classes, DType dtype = DType::Float32);

}  // namespace attrax
