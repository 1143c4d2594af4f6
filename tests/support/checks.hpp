#pragma once
// Shared helpers for the op suites: seeded float64 inputs and the two-order gradient check.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "support/gradcheck.hpp"

namespace attrax::testing {

using Inputs = std::vector<Tensor>;

// N(0, 1) values, reproducible per (seed, stream).
inline Tensor random_normal(const Shape& shape, std::uint64_t stream, DType dtype = DType::Float64,
                            std::uint64_t seed = 42) {
  Generator gen(seed, stream);
  return Tensor::randn(shape, gen, dtype);
}

// U[lo, hi) values, for ops defined on part of the line (log, sqrt, div).
inline Tensor random_uniform(const Shape& shape, double lo, double hi, std::uint64_t stream) {
  Generator gen(42, stream);
  return Tensor::rand(shape, gen, DType::Float64) * (hi - lo) + lo;
}

// gradcheck and gradgradcheck of f at inputs; each must compare at least one element.
inline void check_gradients(const TensorFunction& f, const Inputs& inputs,
                            const GradcheckOptions& options = {}) {
  const GradcheckResult first = gradcheck(f, inputs, options);
  CHECK_MESSAGE(first.ok, "first order:\n" << first.report);
  CHECK(first.checked > 0);
  const GradcheckResult second = gradgradcheck(f, inputs, options);
  CHECK_MESSAGE(second.ok, "second order:\n" << second.report);
  CHECK(second.checked > 0);
}

}  // namespace attrax::testing
