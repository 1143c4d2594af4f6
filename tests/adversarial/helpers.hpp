#pragma once
// Models with known answers for the attack suites: a linear classifier on flattened pixels, and a
// "quadrant" model whose class is the brightest quadrant of a 1x4x4 image.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "adversarial/losses.hpp"
#include "adversarial/threat.hpp"
#include "engine/attrax.hpp"
#include "nn/module.hpp"

namespace attrax::adversarial::testing {

// logits = W · flatten(x) + b; W: [K, D], b: [K]. No normalisation; its own parameters only.
class LinearModel : public nn::Module {
 public:
  LinearModel(Tensor weight, Tensor bias) : weight_(std::move(weight)), bias_(std::move(bias)) {
    register_parameter("weight", &weight_);
    register_parameter("bias", &bias_);
    weight_.requires_grad_();
    bias_.requires_grad_();
  }
  Tensor forward(const Tensor& x) override { return linear(flatten(x, 1), weight_, bias_); }
  std::string describe() const override { return "LinearModel"; }
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_, bias_;
};

// 4 classes on [N, 1, 4, 4]: logit k = 4 · (mean of quadrant k) − 1, quadrants in the order
// top-left, top-right, bottom-left, bottom-right. The prediction is the brightest quadrant.
inline std::unique_ptr<LinearModel> quadrant_model() {
  std::vector<float> w(4 * 16, 0.0f);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) w[std::size_t((2 * (r / 2) + c / 2) * 16 + r * 4 + c)] = 1.0f;
  return std::make_unique<LinearModel>(Tensor::from_data(w, {4, 16}),
                                       Tensor::from_data(std::vector<float>(4, -1.0f), {4}));
}

// n images where quadrant (i mod 4) has brightness 0.6 and the others 0.4, so the clean accuracy of
// quadrant_model() is 100% and a perturbation of L∞ size 0.1 suffices to flip each prediction.
struct LabelledBatch {
  Tensor images, labels;
};
inline LabelledBatch quadrant_batch(std::int64_t n) {
  std::vector<float> x(std::size_t(n * 16));
  std::vector<std::int64_t> y(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    y[std::size_t(i)] = i % 4;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c)
        x[std::size_t(i * 16 + r * 4 + c)] = (2 * (r / 2) + c / 2) == i % 4 ? 0.6f : 0.4f;
  }
  return {Tensor::from_data(x, {n, 1, 4, 4}), Tensor::from_data(y, {n})};
}

// Largest per-sample norm of x_adv − x.
inline double max_perturbation(const Tensor& x_adv, const Tensor& x, Norm norm) {
  NoGradGuard no_grad;
  return max(per_sample_norm(x_adv - x, norm)).item();
}

// Every element in [0, 1] and every sample within ε (plus float rounding) of x.
inline void check_in_ball(const Tensor& x_adv, const Tensor& x, const ThreatModel& threat) {
  NoGradGuard no_grad;
  REQUIRE(x_adv.shape() == x.shape());
  CHECK(-max(-x_adv).item() >= 0.0);
  CHECK(max(x_adv).item() <= 1.0);
  CHECK(max_perturbation(x_adv, x, threat.norm) <= threat.eps * (1 + 1e-5) + 1e-6);
}

// Fraction of samples the model classifies as their label.
inline double accuracy(nn::Module& model, const Tensor& x, const Tensor& labels) {
  NoGradGuard no_grad;
  const std::vector<std::int64_t> p = predictions(model(x));
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < p.size(); ++i) correct += p[i] == labels.data<std::int64_t>()[i];
  return double(correct) / double(p.size());
}

// The message of the `E` that `run` throws ("" when it throws none, a marker for another type).
template <class E, class Run>
std::string error_message(Run&& run) {
  try {
    run();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<another exception: ") + e.what() + ">";
  }
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace attrax::adversarial::testing
