#include "support/gradcheck.hpp"

#include <cmath>
#include <sstream>

namespace attrax::testing {

namespace {

constexpr int kMaxReported = 5;

// Float inputs become float64 leaves that require grad; int64 inputs pass through.
std::vector<Tensor> float64_leaves(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  for (const Tensor& t : inputs) {
    if (is_floating(t.dtype())) out.push_back(t.detach().to(DType::Float64).clone().requires_grad_());
    else out.push_back(t);
  }
  return out;
}

// L(x) = Σ v ⊙ f(x). The tape stays on so that f may itself take gradients (gradgradcheck).
double scalarised(const TensorFunction& f, const std::vector<Tensor>& inputs, const Tensor& v) {
  return sum(f(inputs) * v).item();
}

}  // namespace

GradcheckResult gradcheck(const TensorFunction& f, const std::vector<Tensor>& raw_inputs,
                          const GradcheckOptions& options) {
  GradcheckResult result;
  std::vector<Tensor> inputs = float64_leaves(raw_inputs);
  std::vector<std::size_t> positions;
  std::vector<Tensor> differentiable;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    positions.push_back(i);
    differentiable.push_back(inputs[i]);
  }

  const Tensor out = f(inputs);
  Generator gen(1234, 7);
  const Tensor v = Tensor::randn(out.shape(), gen, DType::Float64);
  const std::vector<Tensor> analytic =
      grad({sum(out * v)}, differentiable, {}, GradOptions{.allow_unused = true});

  std::ostringstream report;
  int mismatches = 0;
  const double h = options.step;
  for (std::size_t k = 0; k < differentiable.size(); ++k) {
    double* data = inputs[positions[k]].data<double>();
    const std::int64_t n = inputs[positions[k]].numel();
    const std::int64_t stride = std::max<std::int64_t>(1, n / options.max_checked);
    for (std::int64_t e = 0; e < n; e += stride) {
      const double original = data[e];
      data[e] = original + h;
      const double plus = scalarised(f, inputs, v);
      data[e] = original - h;
      const double minus = scalarised(f, inputs, v);
      data[e] = original;
      const double numeric = (plus - minus) / (2 * h);
      if (options.skip_kinks) {
        const double at = scalarised(f, inputs, v);
        const double forward = (plus - at) / h, backward = (at - minus) / h;
        if (std::abs(forward - backward) > 1e-3 * (1 + std::abs(numeric))) {
          ++result.skipped;
          continue;
        }
      }
      const double a = analytic[k].defined() ? analytic[k].data<double>()[e] : 0.0;
      ++result.checked;
      if (std::abs(a - numeric) <= options.atol + options.rtol * std::abs(numeric)) continue;
      result.ok = false;
      if (++mismatches <= kMaxReported) {
        report << "input " << positions[k] << " element " << e << ": analytic " << a
               << " vs numeric " << numeric << "\n";
      }
    }
  }
  if (mismatches > kMaxReported) report << "(" << mismatches - kMaxReported << " more mismatches)\n";
  result.report = report.str();
  return result;
}

GradcheckResult gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& raw_inputs,
                              const GradcheckOptions& options) {
  std::vector<Tensor> inputs = float64_leaves(raw_inputs);
  Generator gen(4321, 9);
  const Tensor probe = f(inputs);
  std::vector<Tensor> weights;
  for (const Tensor& x : inputs)
    if (x.requires_grad()) weights.push_back(Tensor::randn(x.shape(), gen, DType::Float64));
  // The incoming gradient v is an input too, so each VJP's dependence on it is checked.
  inputs.push_back(Tensor::randn(probe.shape(), gen, DType::Float64));

  // G(x, v) = Σ_i w_i ⊙ d(Σ v ⊙ f(x))/dx_i, recorded so that it can be differentiated again.
  const TensorFunction first_order = [&f, &weights](const std::vector<Tensor>& xs) {
    const std::vector<Tensor> args(xs.begin(), xs.end() - 1);
    std::vector<Tensor> differentiable;
    for (const Tensor& a : args)
      if (a.requires_grad()) differentiable.push_back(a);
    const std::vector<Tensor> grads =
        grad({sum(f(args) * xs.back())}, differentiable, {},
             GradOptions{.create_graph = true, .allow_unused = true});
    Tensor total = Tensor::scalar(0.0, DType::Float64);
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (grads[i].defined()) total = total + sum(grads[i] * weights[i]);
    return total;
  };
  return gradcheck(first_order, inputs, options);
}

}  // namespace attrax::testing
