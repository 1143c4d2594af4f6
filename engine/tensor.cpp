#include "engine/tensor.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "engine/autograd.hpp"
#include "engine/random.hpp"
#include "engine/recycling_allocator.hpp"

namespace attrax {

namespace {

Tensor allocate(const Shape& shape, DType dtype, bool zeroed) {
  auto impl = make_tensor_impl();
  impl->storage = make_storage(static_cast<std::size_t>(shape.numel()) * dtype_size(dtype), zeroed);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

template <class T>
Tensor copy_from(const std::vector<T>& values, const Shape& shape) {
  if (static_cast<std::int64_t>(values.size()) != shape.numel()) {
    throw ShapeError("from_data: " + std::to_string(values.size()) + " values cannot fill shape " +
                     shape.str() + " (" + std::to_string(shape.numel()) + " elements)");
  }
  Tensor t = allocate(shape, dtype_of<T>(), false);
  if (!values.empty()) std::memcpy(t.data<T>(), values.data(), values.size() * sizeof(T));
  return t;
}

template <class T>
void fill(Tensor& t, double value) {
  T* p = t.data<T>();
  const std::int64_t n = t.numel();
  for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(value);
}

std::int64_t flat_index(const Shape& shape, std::initializer_list<std::int64_t> index) {
  if (static_cast<int>(index.size()) != shape.rank()) {
    throw IndexError("at: got " + std::to_string(index.size()) + " indices for a tensor of shape " +
                     shape.str());
  }
  const auto strides = shape.strides();
  std::int64_t flat = 0;
  int axis = 0;
  for (std::int64_t i : index) {
    if (i < 0 || i >= shape[axis]) {
      throw IndexError("at: index " + std::to_string(i) + " is out of range for axis " +
                       std::to_string(axis) + " of shape " + shape.str());
    }
    flat += i * strides[axis++];
  }
  return flat;
}

}  // namespace

std::shared_ptr<TensorImpl> make_tensor_impl() {
  return std::allocate_shared<TensorImpl>(detail::RecyclingAllocator<TensorImpl>());
}

Tensor Tensor::empty(const Shape& shape, DType dtype) { return allocate(shape, dtype, false); }

Tensor Tensor::zeros(const Shape& shape, DType dtype) { return allocate(shape, dtype, true); }

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = allocate(shape, dtype, false);
  visit_dtype(dtype, [&]<class T>() { fill<T>(t, value); });
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full(Shape{}, value, dtype); }

Tensor Tensor::arange(double start, double end, double step, DType dtype) {
  if (step == 0.0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step)) {
    throw ValueError("arange: start, end and step must be finite and step non-zero (got start=" +
                std::to_string(start) + ", end=" + std::to_string(end) + ", step=" +
                std::to_string(step) + ")");
  }
  const double count = std::ceil((end - start) / step);
  Tensor t = allocate(Shape{count > 0 ? static_cast<std::int64_t>(count) : 0}, dtype, false);
  visit_dtype(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(start + step * double(i));
  });
  return t;
}

Tensor Tensor::arange(std::int64_t end, DType dtype) { return arange(0.0, double(end), 1.0, dtype); }

Tensor Tensor::rand(const Shape& shape, Generator& gen, DType dtype) {
  Tensor t = allocate(shape, dtype, false);
  visit_floating(dtype, "rand", [&]<class T>() { gen.fill_uniform(t.data<T>(), t.numel()); });
  return t;
}

Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dtype) {
  Tensor t = allocate(shape, dtype, false);
  visit_floating(dtype, "randn", [&]<class T>() { gen.fill_normal(t.data<T>(), t.numel()); });
  return t;
}

Tensor Tensor::from_data(const std::vector<float>& values, const Shape& shape) {
  return copy_from(values, shape);
}
Tensor Tensor::from_data(const std::vector<double>& values, const Shape& shape) {
  return copy_from(values, shape);
}
Tensor Tensor::from_data(const std::vector<std::int64_t>& values, const Shape& shape) {
  return copy_from(values, shape);
}

void Tensor::require_defined(const char* what) const {
  if (!impl_) throw Error(std::string(what) + ": the tensor is undefined");
}

const Shape& Tensor::shape() const {
  require_defined("shape");
  return impl_->shape;
}

std::int64_t Tensor::size(int axis) const { return shape()[normalize_axis(axis, rank(), "size")]; }

DType Tensor::dtype() const {
  require_defined("dtype");
  return impl_->dtype;
}

template <class T>
T* Tensor::data() {
  require_defined("data");
  if (impl_->dtype != dtype_of<T>()) {
    throw DTypeError(std::string("data: the tensor holds ") + dtype_name(impl_->dtype) +
                     " but was read as " + dtype_name(dtype_of<T>()));
  }
  return static_cast<T*>(impl_->storage->data());
}

template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

template float* Tensor::data<float>();
template double* Tensor::data<double>();
template std::int64_t* Tensor::data<std::int64_t>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template const std::int64_t* Tensor::data<std::int64_t>() const;

double Tensor::item() const {
  require_defined("item");
  if (numel() != 1) {
    throw ShapeError("item: needs a tensor with one element, got shape " + shape().str());
  }
  return visit_dtype(dtype(), [&]<class T>() { return static_cast<double>(data<T>()[0]); });
}

double Tensor::at(std::initializer_list<std::int64_t> index) const {
  const std::int64_t flat = flat_index(shape(), index);
  return visit_dtype(dtype(), [&]<class T>() { return static_cast<double>(data<T>()[flat]); });
}

void Tensor::set(std::initializer_list<std::int64_t> index, double value) {
  const std::int64_t flat = flat_index(shape(), index);
  visit_dtype(dtype(), [&]<class T>() { data<T>()[flat] = static_cast<T>(value); });
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out(static_cast<std::size_t>(numel()));
  visit_dtype(dtype(), [&]<class T>() {
    const T* p = data<T>();
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
  });
  return out;
}

Tensor Tensor::reshape(const std::vector<std::int64_t>& dims) const {
  return reshape_to(dims.data(), dims.size());
}

Tensor Tensor::reshape(std::initializer_list<std::int64_t> dims) const {
  return reshape_to(dims.begin(), dims.size());
}

Tensor Tensor::reshape(const Shape& shape) const { return reshape_to(shape.begin(), std::size_t(shape.rank())); }

Tensor Tensor::reshape_to(const std::int64_t* dims, std::size_t count) const {
  require_defined("reshape");
  if (count > std::size_t(Shape::kMaxRank)) {
    throw ShapeError("reshape: " + std::to_string(count) + " target extents, more than the " +
                     std::to_string(Shape::kMaxRank) + " a tensor can have");
  }
  std::array<std::int64_t, Shape::kMaxRank> resolved{};
  int inferred = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < count; ++i) {
    resolved[i] = dims[i];
    if (dims[i] == -1 && inferred < 0) {
      inferred = int(i);
    } else if (dims[i] < 0) {
      throw ShapeError("reshape: invalid target extent " + std::to_string(dims[i]) +
                       " (only one -1 is allowed)");
    } else {
      known *= dims[i];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || numel() % known != 0) {
      throw ShapeError("reshape: cannot infer the -1 extent when reshaping " + shape().str() +
                       " (" + std::to_string(numel()) + " elements)");
    }
    resolved[inferred] = numel() / known;
  }
  const Shape target(resolved.data(), count);
  if (target.numel() != numel()) {
    throw ShapeError("reshape: cannot view " + shape().str() + " (" + std::to_string(numel()) +
                     " elements) as " + target.str() + " (" + std::to_string(target.numel()) +
                     " elements)");
  }
  auto impl = make_tensor_impl();
  impl->storage = impl_->storage;
  impl->shape = target;
  impl->dtype = impl_->dtype;
  const Shape original = shape();
  // y = reshape(x): dx = reshape(dy, x.shape)
  return record("reshape", Tensor(std::move(impl)), {*this},
                [original](const Tensor& g, const BackwardContext&) -> Grads {
                  return {g.reshape(original)};
                });
}

Tensor Tensor::detach() const {
  require_defined("detach");
  auto impl = make_tensor_impl();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  require_defined("clone");
  Tensor out = allocate(shape(), dtype(), false);
  std::memcpy(out.impl_->storage->data(), impl_->storage->data(),
              static_cast<std::size_t>(numel()) * dtype_size(dtype()));
  return out;
}

Tensor Tensor::to(DType target) const {
  require_defined("to");
  if (target == dtype()) return *this;
  Tensor out = allocate(shape(), target, false);
  visit_dtype(dtype(), [&]<class From>() {
    visit_dtype(target, [&]<class To>() {
      const From* src = data<From>();
      To* dst = out.data<To>();
      const std::int64_t n = numel();
      for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<To>(src[i]);
    });
  });
  if (!is_floating(target) || !is_floating(dtype())) return out;
  const DType source = dtype();
  // y = cast(x): dx = cast(dy) back to x's dtype
  return record("to", out, {*this}, [source](const Tensor& g, const BackwardContext&) -> Grads {
    return {g.to(source)};
  });
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::requires_grad_(bool enable) {
  require_defined("requires_grad_");
  if (impl_->grad_fn) {
    throw AutogradError("requires_grad_: only leaf tensors can change requires_grad; this one was "
                        "produced by '" + impl_->grad_fn->name + "' (use detach() first)");
  }
  if (enable && !is_floating(dtype())) {
    throw DTypeError("requires_grad_: only float tensors can require gradients, this one is int64");
  }
  impl_->requires_grad = enable;
  if (!enable) impl_->grad_accumulator.reset();
  return *this;
}

bool Tensor::is_leaf() const { return impl_ && !impl_->grad_fn; }

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  require_defined("grad_fn");
  return impl_->grad_fn;
}

Tensor Tensor::grad() const {
  require_defined("grad");
  return impl_->grad ? Tensor(impl_->grad) : Tensor();
}

void Tensor::set_grad(const Tensor& grad) {
  require_defined("set_grad");
  if (grad.defined() && (!(grad.shape() == shape()) || grad.dtype() != dtype())) {
    throw ShapeError("set_grad: gradient of shape " + grad.shape().str() + " does not match tensor "
                     "of shape " + shape().str());
  }
  impl_->grad = grad.impl_ptr();
}

void Tensor::zero_grad() {
  require_defined("zero_grad");
  impl_->grad.reset();
}

void Tensor::backward(const Tensor& grad_output, bool retain_graph, bool create_graph) const {
  attrax::backward({*this}, {grad_output},
                   GradOptions{.create_graph = create_graph, .retain_graph = retain_graph});
}

namespace {

void print_values(std::ostream& os, const std::vector<double>& v, const Shape& shape, int axis,
                  std::int64_t offset, std::int64_t stride) {
  if (shape.rank() == 0) {
    os << v[0];
    return;
  }
  const std::int64_t n = shape[axis];
  const std::int64_t inner = stride / (n ? n : 1);
  constexpr std::int64_t kEdge = 3;  // elements shown at each end of a long axis
  os << '[';
  for (std::int64_t i = 0; i < n; ++i) {
    const std::string separator = axis + 1 < shape.rank() ? ",\n " + std::string(axis, ' ') : ", ";
    if (n > 2 * kEdge && i == kEdge) {
      os << separator << "...";
      i = n - kEdge;
    }
    if (i) os << separator;
    if (axis + 1 == shape.rank()) os << v[offset + i];
    else print_values(os, v, shape, axis + 1, offset + i * inner, inner);
  }
  os << ']';
}

}  // namespace

std::string Tensor::str() const {
  if (!impl_) return "tensor(undefined)";
  std::ostringstream os;
  os << std::setprecision(6) << "tensor(";
  print_values(os, to_vector(), shape(), 0, 0, numel());
  os << ", shape=" << shape().str() << ", dtype=" << dtype_name(dtype());
  if (impl_->grad_fn) os << ", grad_fn=" << impl_->grad_fn->name;
  else if (impl_->requires_grad) os << ", requires_grad=true";
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace attrax
