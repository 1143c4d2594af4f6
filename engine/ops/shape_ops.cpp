#include "engine/ops/shape_ops.hpp"

#include "engine/autograd.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/helpers.hpp"

namespace attrax {

// y[n, c] = [labels[n] = c]
Tensor one_hot(const Tensor& labels, std::int64_t num_classes, DType dtype) {
  detail::check_index("one_hot", labels, "labels");
  detail::check_rank("one_hot", labels, 1, "labels", "[N]");
  if (num_classes <= 0) {
    throw Error("one_hot: num_classes must be positive, got " + std::to_string(num_classes));
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
