#pragma once
// Tensor: a shared handle to an N-d (N <= 6), row-major, contiguous array with optional autodiff state.
// Copying a Tensor copies the handle; `reshape` is a view on the same storage; every op returns a new
// tensor. Images are NCHW.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "engine/dtype.hpp"
#include "engine/shape.hpp"
#include "engine/storage.hpp"

namespace attrax {

class Node;
class Generator;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories ----
  // Uninitialised contents: for outputs that are written in full.
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
  // A rank-0 tensor holding `value`.
  static Tensor scalar(double value, DType dtype = DType::Float32);
  // [start, start + step, ...) below `end`, as numpy.arange.
  static Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::Float32);
  static Tensor arange(std::int64_t end, DType dtype = DType::Float32);
  // Uniform on [0, 1) and standard normal, from the counter-based generator (advances it).
  static Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::Float32);
  static Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::Float32);
  // Copies `values` (row-major) into a new tensor; values.size() must equal shape.numel().
  static Tensor from_data(const std::vector<float>& values, const Shape& shape);
  static Tensor from_data(const std::vector<double>& values, const Shape& shape);
  static Tensor from_data(const std::vector<std::int64_t>& values, const Shape& shape);

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int rank() const { return shape().rank(); }
  std::int64_t numel() const { return shape().numel(); }
  // Extent of `axis` (negative counts from the end).
  std::int64_t size(int axis) const;
  DType dtype() const;

  // ---- data ----
  // Typed pointer to the first element; throws DTypeError when T does not match dtype().
  template <class T> T* data();
  template <class T> const T* data() const;
  // The single element of a one-element tensor, as double.
  double item() const;
  // Element at a full multi-index, bounds-checked, as double (any dtype).
  double at(std::initializer_list<std::int64_t> index) const;
  // Writes the element at a full multi-index (no autodiff: for building inputs and tests).
  void set(std::initializer_list<std::int64_t> index, double value);
  // All elements as doubles, row-major.
  std::vector<double> to_vector() const;

  // ---- views and copies ----
  // Same storage, new shape; one extent may be -1 (inferred). Differentiable.
  Tensor reshape(const std::vector<std::int64_t>& shape) const;
  Tensor reshape(std::initializer_list<std::int64_t> shape) const;
  Tensor reshape(const Shape& shape) const;
  // Shares storage but has no autodiff history.
  Tensor detach() const;
  // A new tensor with copied data and no history.
  Tensor clone() const;
  // Converts between dtypes (differentiable between float32 and float64).
  Tensor to(DType dtype) const;

  // ---- autodiff ----
  bool requires_grad() const;
  // Marks a leaf as requiring gradient; throws for non-leaf tensors and int64.
  Tensor& requires_grad_(bool enable = true);
  // A tensor with no grad_fn: created by the user rather than by a recorded op.
  bool is_leaf() const;
  const std::shared_ptr<Node>& grad_fn() const;
  // The accumulated gradient of a leaf (undefined until a backward pass reaches it).
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  void zero_grad();
  // Accumulates d(this)/d(leaf) into every leaf's grad; `grad_output` defaults to 1 for scalars.
  void backward(const Tensor& grad_output = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;

  // "tensor([[1, 2], [3, 4]], shape=[2, 2], dtype=float32, grad_fn=add)"
  std::string str() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  void require_defined(const char* what) const;
  Tensor reshape_to(const std::int64_t* dims, std::size_t count) const;
  std::shared_ptr<TensorImpl> impl_;
};

// The state behind a Tensor handle.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::Float32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;            // the op that produced this tensor (null for leaves)
  std::shared_ptr<Node> grad_accumulator;   // leaves that require grad: where gradients land
  std::shared_ptr<TensorImpl> grad;         // accumulated gradient of a leaf

  // Hands grad_fn to the tape's iterative release, so dropping a long graph cannot overflow the stack.
  ~TensorImpl();
};

// A new, empty TensorImpl, from a recycled block.
std::shared_ptr<TensorImpl> make_tensor_impl();

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace attrax
