#include "engine/ops/shape_ops.hpp"

#include <string>
#include <utility>

#include "engine/autograd.hpp"
#include "engine/kernels/reference/layout.hpp"
#include "engine/ops/helpers.hpp"

namespace attrax {

namespace {

// dims normalised; throws IndexError unless it is a permutation of x's axes.
std::vector<int> checked_permutation(const Tensor& x, const std::vector<int>& dims) {
  const int rank = x.rank();
  if (static_cast<int>(dims.size()) != rank) {
    throw IndexError("permute: got " + std::to_string(dims.size()) + " axes for input " +
                     x.shape().str() + " of rank " + std::to_string(rank) +
                     "; give each axis exactly once");
  }
  std::vector<int> perm(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    perm[i] = normalize_axis(dims[i], rank, "permute");
    if (seen[perm[i]]) {
      throw IndexError("permute: axis " + std::to_string(perm[i]) + " appears twice in the " +
                       "permutation of input " + x.shape().str() + "; give each axis exactly once");
    }
    seen[perm[i]] = true;
  }
  return perm;
}

}  // namespace

// [..., d_start, ..., d_end, ...] -> [..., d_start ... d_end, ...]  (a view: reshape's VJP)
Tensor flatten(const Tensor& x, int start_axis, int end_axis) {
  if (x.rank() == 0) return x.reshape({1});
  const int start = normalize_axis(start_axis, x.rank(), "flatten");
  const int end = normalize_axis(end_axis, x.rank(), "flatten");
  if (start > end) {
    throw IndexError("flatten: start axis " + std::to_string(start_axis) + " comes after end axis " +
                     std::to_string(end_axis) + " for input " + x.shape().str());
  }
  std::vector<std::int64_t> dims;
  std::int64_t merged = 1;
  for (int a = 0; a < x.rank(); ++a) {
    if (a < start || a > end) dims.push_back(x.shape()[a]);
    else merged *= x.shape()[a];
    if (a == end) dims.push_back(merged);
  }
  return x.reshape(dims);
}

// y[i_0, ..] = x[i at dims⁻¹]:  dx = permute(g, dims⁻¹)
Tensor permute(const Tensor& x, const std::vector<int>& dims) {
  const std::vector<int> perm = checked_permutation(x, dims);
  const auto x_strides = x.shape().strides();
  std::vector<std::int64_t> out(perm.size());
  kernels::reference::Strides strides{};
  std::vector<int> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    out[i] = x.shape()[perm[i]];
    strides[i] = x_strides[perm[i]];
    inverse[perm[i]] = static_cast<int>(i);
  }
  Tensor y = Tensor::empty(Shape(out), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    kernels::reference::strided_copy(y.shape(), strides, x.data<T>(), y.data<T>());
  });
  return record("permute", y, {x}, [inverse](const Tensor& g, const BackwardContext&) -> Grads {
    return {permute(g, inverse)};
  });
}

// permute with axis0 and axis1 exchanged
Tensor transpose(const Tensor& x, int axis0, int axis1) {
  const int a = normalize_axis(axis0, x.rank(), "transpose");
  const int b = normalize_axis(axis1, x.rank(), "transpose");
  std::vector<int> dims(x.rank());
  for (int i = 0; i < x.rank(); ++i) dims[i] = i;
  std::swap(dims[a], dims[b]);
  return permute(x, dims);
}

// y[n, c] = [labels[n] = c]
Tensor one_hot(const Tensor& labels, std::int64_t num_classes, DType dtype) {
  detail::check_index("one_hot", labels, "labels");
  detail::check_rank("one_hot", labels, 1, "labels", "[N]");
  if (num_classes <= 0) {
    throw ValueError("one_hot: num_classes must be positive, got " + std::to_string(num_classes));
  }
  Tensor y = Tensor::zeros({labels.size(0), num_classes}, dtype);
  const std::int64_t* l = labels.data<std::int64_t>();
  visit_floating(dtype, "one_hot", [&]<class T>() {
    T* p = y.data<T>();
    for (std::int64_t n = 0; n < labels.size(0); ++n) {
      if (l[n] < 0 || l[n] >= num_classes) {
        throw IndexError("one_hot: label " + std::to_string(l[n]) + " at position " +
                         std::to_string(n) + " is outside [0, " + std::to_string(num_classes) + ")");
      }
      p[n * num_classes + l[n]] = T(1);
    }
  });
  return y;
}

}  // namespace attrax
