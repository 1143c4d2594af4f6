// The fast batch-norm kernels against their reference twins (row tails, one value per row, one
// image), and bit-identical results for 1 and 2 threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/attrax.hpp"
#include "engine/kernels/fast/batch_norm.hpp"
#include "engine/kernels/reference/normalization.hpp"
#include "engine/kernels/threading.hpp"

using namespace attrax;
using kernels::AxisGeometry;

namespace {

std::vector<float> random_values(std::int64_t n, std::uint64_t stream, float shift = 0) {
  std::vector<float> v(static_cast<std::size_t>(n));
  Generator gen(5, stream);
  gen.fill_normal(v.data(), n);
  for (float& x : v) x += shift;
  return v;
}

// |fast - ref| <= 1e-5 (1 + |ref|) spread, where spread is 1 for elementwise outputs and the square
// root of the number of summed values for per-channel sums (float rounding grows with it).
void check_close(const std::vector<float>& fast, const std::vector<float>& ref, const std::string& what,
                 const AxisGeometry& g, bool summed = false) {
  const double spread = summed ? std::sqrt(double(g.outer * g.inner)) : 1.0;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    CHECK_MESSAGE(std::abs(fast[i] - ref[i]) <= 1e-5 * (1 + std::abs(ref[i])) * spread,
                  what << " [" << g.outer << ", " << g.axis << ", " << g.inner << "] at " << i << ": "
                       << fast[i] << " vs " << ref[i]);
  }
}

struct Outputs {
  std::vector<float> mean, var, y, dx, dgamma, dbeta;
};

template <bool Fast>
Outputs run(const AxisGeometry& g, const std::vector<float>& x, const std::vector<float>& grad,
            const std::vector<float>& gamma) {
  const std::size_t C = std::size_t(g.axis), n = x.size();
  Outputs o{std::vector<float>(C), std::vector<float>(C), std::vector<float>(n), std::vector<float>(n),
            std::vector<float>(C), std::vector<float>(C)};
  std::vector<float> invstd(C), shift(C);
  if constexpr (Fast) kernels::fast::batch_norm_statistics(g, x.data(), o.mean.data(), o.var.data());
  else kernels::reference::batch_norm_statistics(g, x.data(), o.mean.data(), o.var.data());
  for (std::size_t c = 0; c < C; ++c) {
    invstd[c] = 1.f / std::sqrt(o.var[c] + 1e-5f);
    shift[c] = -o.mean[c] * invstd[c];
  }
  if constexpr (Fast) {
    kernels::fast::batch_norm_apply(g, x.data(), invstd.data(), shift.data(), o.y.data());
    kernels::fast::batch_norm_backward(g, x.data(), grad.data(), o.mean.data(), invstd.data(), gamma.data(),
                                       o.dx.data(), o.dgamma.data(), o.dbeta.data());
  } else {
    kernels::reference::batch_norm_apply(g, x.data(), invstd.data(), shift.data(), o.y.data());
    kernels::reference::batch_norm_backward(g, x.data(), grad.data(), o.mean.data(), invstd.data(),
                                            gamma.data(), o.dx.data(), o.dgamma.data(), o.dbeta.data());
  }
  return o;
}

}  // namespace

TEST_CASE("fast batch norm kernels match the reference") {
  for (const AxisGeometry& g : {AxisGeometry{3, 5, 49}, AxisGeometry{2, 4, 17}, AxisGeometry{1, 3, 8},
                                AxisGeometry{4, 2, 1}, AxisGeometry{2, 16, 784}}) {
    const std::int64_t n = g.outer * g.axis * g.inner;
    const auto x = random_values(n, 1, 3.0f), grad = random_values(n, 2), gamma = random_values(g.axis, 3);
    const Outputs fast = run<true>(g, x, grad, gamma), ref = run<false>(g, x, grad, gamma);
    check_close(fast.mean, ref.mean, "mean", g, true);
    check_close(fast.var, ref.var, "var", g, true);
    check_close(fast.y, ref.y, "y", g);
    check_close(fast.dx, ref.dx, "dx", g);
    check_close(fast.dgamma, ref.dgamma, "dgamma", g, true);
    check_close(fast.dbeta, ref.dbeta, "dbeta", g, true);
  }
}

TEST_CASE("fast batch norm statistics keep their digits far from zero") {
  // values 1000 + N(0, 1), rows of different means: Σx² - n mean² would lose the variance to cancellation
  const AxisGeometry g{6, 3, 50};
  auto x = random_values(g.outer * g.axis * g.inner, 11, 1000.f);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += float(i / std::size_t(g.inner) % 5);
  std::vector<float> mean(3), var(3), ref_mean(3), ref_var(3);
  kernels::fast::batch_norm_statistics(g, x.data(), mean.data(), var.data());
  kernels::reference::batch_norm_statistics(g, x.data(), ref_mean.data(), ref_var.data());
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(ref_var[c] > 1.5f);  // the unit noise plus the spread of the row means
    CHECK(std::abs(mean[c] - ref_mean[c]) <= 1e-6 * ref_mean[c]);
    CHECK(std::abs(var[c] - ref_var[c]) <= 1e-5 * ref_var[c]);
  }
}

TEST_CASE("fast batch norm kernels give identical results for 1 and 2 threads") {
  const AxisGeometry g{3, 7, 33};
  const std::int64_t n = g.outer * g.axis * g.inner;
  const auto x = random_values(n, 4), grad = random_values(n, 5), gamma = random_values(g.axis, 6);
  const int before = kernels::max_threads();
  kernels::set_threads(1);
  const Outputs one = run<true>(g, x, grad, gamma);
  kernels::set_threads(2);
  const Outputs two = run<true>(g, x, grad, gamma);
  kernels::set_threads(before);
  CHECK(one.mean == two.mean);
  CHECK(one.var == two.var);
  CHECK(one.y == two.y);
  CHECK(one.dx == two.dx);
  CHECK(one.dgamma == two.dgamma);
}

namespace {

// y = max(x scale + shift + residual, 0) and the backward pass behind its gate: the gate read from
// y (with the gated gradient written out) when there is a residual, recomputed from x otherwise.
struct ReluOutputs {
  std::vector<float> y, dx, dgamma, dbeta, gated;
};

template <bool Fast>
ReluOutputs run_relu(const AxisGeometry& g, const std::vector<float>& x, const std::vector<float>& residual,
                     const std::vector<float>& grad, const std::vector<float>& gamma, bool gate_from_input) {
  const std::size_t C = std::size_t(g.axis), n = x.size();
  ReluOutputs o{std::vector<float>(n), std::vector<float>(n), std::vector<float>(C), std::vector<float>(C),
                std::vector<float>(n)};
  std::vector<float> mean(C), invstd(C), scale(C), shift(C);
  for (std::size_t c = 0; c < C; ++c) {
    mean[c] = 0.1f * float(c);
    invstd[c] = 1.f / (1.f + 0.25f * float(c));
    scale[c] = gamma[c] * invstd[c];
    shift[c] = 0.3f - mean[c] * scale[c];
  }
  const float* res = residual.empty() ? nullptr : residual.data();
  kernels::ReluGate<float> gate{gate_from_input ? nullptr : o.y.data(), scale.data(), shift.data(),
                                gate_from_input ? nullptr : o.gated.data()};
  if constexpr (Fast) {
    kernels::fast::batch_norm_apply_relu(g, x.data(), scale.data(), shift.data(), res, o.y.data());
    kernels::fast::batch_norm_backward(g, x.data(), grad.data(), mean.data(), invstd.data(), gamma.data(),
                                       o.dx.data(), o.dgamma.data(), o.dbeta.data(), &gate);
  } else {
    kernels::reference::batch_norm_apply_relu(g, x.data(), scale.data(), shift.data(), res, o.y.data());
    kernels::reference::batch_norm_backward(g, x.data(), grad.data(), mean.data(), invstd.data(), gamma.data(),
                                            o.dx.data(), o.dgamma.data(), o.dbeta.data(), &gate);
  }
  return o;
}

}  // namespace

TEST_CASE("fast batch norm + ReLU kernels match the reference, with and without a residual") {
  for (const AxisGeometry& g : {AxisGeometry{3, 5, 49}, AxisGeometry{2, 4, 17}, AxisGeometry{1, 3, 8},
                                AxisGeometry{4, 2, 1}, AxisGeometry{2, 16, 784}}) {
    const std::int64_t n = g.outer * g.axis * g.inner;
    const auto x = random_values(n, 7), grad = random_values(n, 8), gamma = random_values(g.axis, 9);
    for (const bool with_residual : {false, true}) {
      CAPTURE(with_residual);
      const std::vector<float> residual = with_residual ? random_values(n, 10) : std::vector<float>();
      // without a residual the gate may come from x or from y: both must agree
      for (const bool from_input : with_residual ? std::vector<bool>{false} : std::vector<bool>{true, false}) {
        CAPTURE(from_input);
        const ReluOutputs fast = run_relu<true>(g, x, residual, grad, gamma, from_input);
        const ReluOutputs ref = run_relu<false>(g, x, residual, grad, gamma, from_input);
        CHECK(std::count(fast.y.begin(), fast.y.end(), 0.f) > 0);  // some gates closed
        check_close(fast.y, ref.y, "y", g);
        check_close(fast.dx, ref.dx, "dx", g);
        check_close(fast.dgamma, ref.dgamma, "dgamma", g, true);
        check_close(fast.dbeta, ref.dbeta, "dbeta", g, true);
        if (!from_input) check_close(fast.gated, ref.gated, "gated grad", g);
      }
    }
  }
}
