#pragma once
// One gradient checker for every op: analytic VJPs against central differences, in float64 through
// the reference kernels.
//
//   gradcheck(f, inputs):     L(x) = Σ v ⊙ f(x) with a fixed random v;
//                             dL/dx_i from the tape vs (L(x + h e_i) - L(x - h e_i)) / 2h
//   gradgradcheck(f, inputs): the same check applied to G(x, v) = Σ_i w_i ⊙ dL/dx_i, where dL/dx_i
//                             is computed with create_graph=true, so the VJPs' own VJPs are checked
//                             (in x and in the incoming gradient v).
#include <functional>
#include <string>
#include <vector>

#include "engine/attrax.hpp"

namespace attrax::testing {

struct GradcheckOptions {
  double step = 1e-6;          // h of the central difference
  double atol = 1e-6;          // |analytic - numeric| <= atol + rtol |numeric|
  double rtol = 1e-5;
  int max_checked = 48;        // elements checked per input (evenly spaced) to bound the cost
  // Escape for kinks (relu at 0, max ties): skip elements whose one-sided differences disagree, as
  // the derivative is undefined there.
  bool skip_kinks = false;
};

struct GradcheckResult {
  bool ok = true;
  int checked = 0;             // elements compared
  int skipped = 0;             // elements skipped as kinks
  std::string report;          // the first mismatches, naming input, element and both values
};

// A function of float64 tensors returning one float64 tensor (any shape).
using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d f / d inputs for every float input (int64 inputs are passed through unchanged). Inputs are
// converted to float64 copies first.
GradcheckResult gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

// Checks second derivatives: gradcheck of the first-order gradient, contracted with random weights.
GradcheckResult gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace attrax::testing
