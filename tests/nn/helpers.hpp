#pragma once
// Helpers shared by the nn suites: a small hand-built module tree with known names, value
// comparisons and error-message capture.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/attrax.hpp"
#include "nn/nn.hpp"

namespace attrax::nn::testing {

// A leaf with parameters and buffers registered interleaved (parameter w, persistent buffer stat,
// parameter b, non-persistent buffer scratch): state_dict order must still be w, b, stat.
class Leaf : public Module {
 public:
  explicit Leaf(float fill = 1.0f, std::int64_t n = 3) {
    w = Tensor::full({n}, fill).requires_grad_();
    stat = Tensor::full({n}, 10 * fill);
    b = Tensor::full({1}, -fill).requires_grad_();
    scratch = Tensor::zeros({2});
    register_parameter("w", &w);
    register_buffer("stat", &stat);
    register_parameter("b", &b);
    register_buffer("scratch", &scratch, /*persistent=*/false);
  }
  // y = x * w + b (x: [n])
  Tensor forward(const Tensor& x) override { return x * w + b; }
  std::string describe() const override { return "Leaf"; }

  Tensor w, stat, b, scratch;
};

// root: parameter "scale", buffer "count", children "first" (Leaf) and "inner" (Sequential of two
// Leafs), registered as: child first, parameter scale, child inner, buffer count.
class Tree : public Module {
 public:
  Tree() {
    first = &register_module("first", std::make_unique<Leaf>(1.0f));
    scale = Tensor::full({1}, 2.0f).requires_grad_();
    register_parameter("scale", &scale);
    inner = &register_module("inner", std::make_unique<Sequential>());
    inner->append(std::make_unique<Leaf>(2.0f));
    inner->append(std::make_unique<Leaf>(3.0f, 2));
    count = Tensor::zeros({}, DType::Int64);
    register_buffer("count", &count);
  }
  Tensor forward(const Tensor& x) override { return (*first)(x) * scale; }
  std::string describe() const override { return "Tree"; }

  Leaf* first;
  Sequential* inner;
  Tensor scale, count;
};

inline std::vector<std::string> names_of(const std::vector<NamedTensor>& entries) {
  std::vector<std::string> names;
  for (const NamedTensor& e : entries) names.push_back(e.name);
  return names;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

// The message of the `E` that `run` throws ("" when it throws none or another type).
template <class E, class Run>
std::string error_message(Run&& run) {
  try {
    run();
  } catch (const E& e) {
    return e.what();
  } catch (...) {
    return "<another exception type>";
  }
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace attrax::nn::testing
