#pragma once
// The optimizer fixtures of tests/golden/make_optim_fixtures.py: two float32 parameters ([3,4] and
// [5]), five steps of gradients, and PyTorch's parameters after every step of each configuration.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/optim/optimizer.hpp"
#include "support/npy.hpp"

namespace attrax::nn::optim_fixtures {

constexpr int kSteps = 5;
constexpr int kParams = 2;
// The optimizers fuse multiply-adds where PyTorch's CPU kernels do and matched these fixtures bit
// for bit when they were recorded; the tolerance leaves room for another order of float32
// operations. It is relative to the tensor's largest element, since an element near zero is the
// difference of larger terms.
constexpr double kRelativeTolerance = 1e-6;

inline double max_abs(const std::vector<double>& values) {
  double m = 0;
  for (double v : values) m = std::max(m, std::abs(v));
  return m;
}

inline Tensor load(const std::string& name) {
  return testing::load_npy(std::string(ATTRAX_GOLDEN_DIR) + "/optim_" + name + ".npy");
}

// Row `row` of a fixture with a leading step axis, as a float32 tensor of the remaining shape.
inline Tensor row(const Tensor& stacked, int row) {
  const Shape shape(std::vector<std::int64_t>(stacked.shape().begin() + 1, stacked.shape().end()));
  const std::vector<double> all = stacked.to_vector();
  const auto first = all.begin() + row * shape.numel();
  return Tensor::from_data(std::vector<float>(first, first + shape.numel()), shape);
}

// The initial parameters, fresh leaves that require grad.
inline std::vector<Tensor> initial_params() {
  std::vector<Tensor> params;
  for (int i = 0; i < kParams; ++i) {
    params.push_back(load("param" + std::to_string(i)).clone());
    params.back().requires_grad_();
  }
  return params;
}

// Sets every parameter's gradient to the fixture's gradient of step t.
inline void set_fixture_grads(const std::vector<Tensor>& params, int t) {
  for (int i = 0; i < kParams; ++i) {
    Tensor param = params[i];
    param.set_grad(row(load("grad" + std::to_string(i)), t));
  }
}

// Runs the five fixture steps and compares every parameter after every step with PyTorch's
// optim_<config>_param<i>; `optimizer` must be over initial_params().
inline void check_against_torch(Optimizer& optimizer, const std::string& config) {
  for (int t = 0; t < kSteps; ++t) {
    set_fixture_grads(optimizer.params(), t);
    optimizer.step();
    for (int i = 0; i < kParams; ++i) {
      const std::vector<double> expected =
          row(load(config + "_param" + std::to_string(i)), t).to_vector();
      const std::vector<double> actual = optimizer.params()[i].to_vector();
      const double tolerance = kRelativeTolerance * max_abs(expected);
      for (std::size_t k = 0; k < expected.size(); ++k) {
        CHECK_MESSAGE(std::abs(actual[k] - expected[k]) <= tolerance,
                      config << ": parameter " << i << " element " << k << " after step " << t + 1
                             << " is " << actual[k] << ", PyTorch has " << expected[k]);
      }
    }
  }
  CHECK(optimizer.steps() == kSteps);
}

}  // namespace attrax::nn::optim_fixtures
