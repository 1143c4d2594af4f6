#include "engine/ops/elementwise.hpp"

#include <cmath>

#include "engine/autograd.hpp"
#include "engine/kernels/reference/elementwise.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/reduction.hpp"

namespace attrax {

using detail::binary_map;
using detail::unary_map;

namespace {

// Comparison masks: 1 where pred(a, b), else 0; never recorded.
template <class Pred>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, Pred pred) {
  return binary_map(op, a, b, [&](auto u, auto v) { return pred(u, v) ? 1 : 0; });
}

}  // namespace

Tensor scalar_like(const Tensor& x, double value) { return Tensor::scalar(value, x.dtype()); }

// y = a + b:  da = sum_to(g, a),  db = sum_to(g, b)
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map("add", a, b, [](auto u, auto v) { return u + v; });
  return record("add", y, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {ctx.needs_input_grad(0) ? sum_to(g, sa) : Tensor(),
            ctx.needs_input_grad(1) ? sum_to(g, sb) : Tensor()};
  });
}

// y = a - b:  da = sum_to(g, a),  db = -sum_to(g, b)
Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map("sub", a, b, [](auto u, auto v) { return u - v; });
  return record("sub", y, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {ctx.needs_input_grad(0) ? sum_to(g, sa) : Tensor(),
            ctx.needs_input_grad(1) ? neg(sum_to(g, sb)) : Tensor()};
  });
}

// y = a b:  da = sum_to(g b, a),  db = sum_to(g a, b)
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map("mul", a, b, [](auto u, auto v) { return u * v; });
  return record("mul", y, {a, b}, [a, b](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {ctx.needs_input_grad(0) ? sum_to(g * b, a.shape()) : Tensor(),
            ctx.needs_input_grad(1) ? sum_to(g * a, b.shape()) : Tensor()};
  });
}

// y = a / b:  da = sum_to(g / b, a),  db = -sum_to(g a / b², b)
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map("div", a, b, [](auto u, auto v) { return u / v; });
  return record("div", y, {a, b}, [a, b](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {ctx.needs_input_grad(0) ? sum_to(g / b, a.shape()) : Tensor(),
            ctx.needs_input_grad(1) ? neg(sum_to(g * a / (b * b), b.shape())) : Tensor()};
  });
}

// y = min(a, b):  da = g [a < b] + g/2 [a = b],  db = g - da (before reduction to each shape)
Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map("minimum", a, b, [](auto u, auto v) { return u < v ? u : v; });
  return record("minimum", y, {a, b}, [a, b](const Tensor& g, const BackwardContext&) -> Grads {
    const Tensor share_a = lt(a, b) + eq(a, b) * 0.5;
    return {sum_to(g * share_a, a.shape()), sum_to(g * (1.0 - share_a), b.shape())};
  });
}

// y = max(a, b):  da = g [a > b] + g/2 [a = b],  db = g - da
Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map("maximum", a, b, [](auto u, auto v) { return u > v ? u : v; });
  return record("maximum", y, {a, b}, [a, b](const Tensor& g, const BackwardContext&) -> Grads {
    const Tensor share_a = gt(a, b) + eq(a, b) * 0.5;
    return {sum_to(g * share_a, a.shape()), sum_to(g * (1.0 - share_a), b.shape())};
  });
}

// y = cond ? a : b:  da = sum_to(g [cond], a),  db = sum_to(g [!cond], b)
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  detail::check_same_float_dtype("where", a, b);
  detail::check_floating("where", cond, "condition");
  if (cond.dtype() != a.dtype()) {
    throw DTypeError("where: condition " + detail::describe(cond) + " must have the dtype of the "
                     "values " + detail::describe(a));
  }
  const Shape out = detail::broadcast_shapes(
      "where", detail::broadcast_shapes("where", cond.shape(), a.shape()), b.shape());
  Tensor y = Tensor::empty(out, a.dtype());
  visit_floating(a.dtype(), "where", [&]<class T>() {
    const T *c = cond.data<T>(), *pa = a.data<T>(), *pb = b.data<T>();
    T* py = y.data<T>();
    kernels::reference::broadcast_walk<3>(
        out, {cond.shape(), a.shape(), b.shape()},
        [&](std::int64_t i, const std::array<std::int64_t, 3>& o) {
          py[i] = c[o[0]] != T(0) ? pa[o[1]] : pb[o[2]];
        });
  });
  return record("where", y, {a, b}, [cond, a, b](const Tensor& g, const BackwardContext&) -> Grads {
    const Tensor zero = scalar_like(g, 0.0);
    return {sum_to(where(cond, g, zero), a.shape()), sum_to(where(cond, zero, g), b.shape())};
  });
}

Tensor gt(const Tensor& a, const Tensor& b) { return compare("gt", a, b, [](auto u, auto v) { return u > v; }); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare("ge", a, b, [](auto u, auto v) { return u >= v; }); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare("lt", a, b, [](auto u, auto v) { return u < v; }); }
Tensor le(const Tensor& a, const Tensor& b) { return compare("le", a, b, [](auto u, auto v) { return u <= v; }); }
Tensor eq(const Tensor& a, const Tensor& b) { return compare("eq", a, b, [](auto u, auto v) { return u == v; }); }
Tensor step(const Tensor& x) { return unary_map("step", x, [](auto v) { return v > 0 ? 1 : 0; }); }

// y = -x:  dx = -g
Tensor neg(const Tensor& x) {
  Tensor y = unary_map("neg", x, [](auto v) { return -v; });
  return record("neg", y, {x}, [](const Tensor& g, const BackwardContext&) -> Grads { return {neg(g)}; });
}

// y = e^x:  dx = g y
Tensor exp(const Tensor& x) {
  Tensor y = unary_map("exp", x, [](auto v) { return std::exp(v); });
  return record("exp", y, {x}, [](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {g * ctx.output()};
  }, RecordOptions::saving_output());
}

// y = ln x:  dx = g / x
Tensor log(const Tensor& x) {
  Tensor y = unary_map("log", x, [](auto v) { return std::log(v); });
  return record("log", y, {x}, [x](const Tensor& g, const BackwardContext&) -> Grads { return {g / x}; });
}

// y = √x:  dx = g / (2 y)
Tensor sqrt(const Tensor& x) {
  Tensor y = unary_map("sqrt", x, [](auto v) { return std::sqrt(v); });
  return record("sqrt", y, {x}, [](const Tensor& g, const BackwardContext& ctx) -> Grads {
    return {g * 0.5 / ctx.output()};
  }, RecordOptions::saving_output());
}

// y = |x|:  dx = g sign(x)
Tensor abs(const Tensor& x) {
  Tensor y = unary_map("abs", x, [](auto v) { return std::abs(v); });
  return record("abs", y, {x}, [x](const Tensor& g, const BackwardContext&) -> Grads { return {g * sign(x)}; });
}

// y = sign(x) in {-1, 0, 1}:  dx = 0
Tensor sign(const Tensor& x) {
  Tensor y = unary_map("sign", x, [](auto v) { return v > 0 ? 1 : (v < 0 ? -1 : 0); });
  return record("sign", y, {x}, [](const Tensor& g, const BackwardContext&) -> Grads { return {g * 0.0}; });
}

// y = x^p:  dx = g p x^(p-1)
Tensor pow(const Tensor& x, double exponent) {
  Tensor y = unary_map("pow", x, [exponent](auto v) { return std::pow(v, decltype(v)(exponent)); });
  return record("pow", y, {x}, [x, exponent](const Tensor& g, const BackwardContext&) -> Grads {
    if (exponent == 0.0) return {g * 0.0};
    return {g * exponent * pow(x, exponent - 1.0)};
  });
}

// y = min(max(x, lo), hi):  dx = g [lo <= x <= hi]
Tensor clamp(const Tensor& x, double lo, double hi) {
  if (!(lo <= hi)) {
    throw ValueError("clamp: lower bound " + std::to_string(lo) + " exceeds upper bound " + std::to_string(hi));
  }
  Tensor y = unary_map("clamp", x, [lo, hi](auto v) {
    using T = decltype(v);
    return v < T(lo) ? T(lo) : (v > T(hi) ? T(hi) : v);
  });
  return record("clamp", y, {x}, [x, lo, hi](const Tensor& g, const BackwardContext&) -> Grads {
    return {g * ge(x, scalar_like(x, lo)) * le(x, scalar_like(x, hi))};
  });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }

}  // namespace attrax
