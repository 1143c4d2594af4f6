// Cross-architecture reproducibility: five SGD steps of a tiny CNN give the losses recorded on x86,
// and the generator's draws are bit-identical to the ones recorded on x86. CI runs this suite on
// x86-64 and, cross-built, on aarch64 and armhf under qemu-user (README, "ARM: cross-building and
// emulation"); on a real ARM board the same binary must pass too.
//
// The losses are compared within a relative tolerance rather than exactly: float32 kernels may
// reorder their sums (SIMD width, blocking, Eigen's packets differ between x86 and ARM), which moves
// the last bits of every result. The draws are compared exactly: they are integer arithmetic
// followed by one rounding to the stored type.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/attrax.hpp"

using namespace attrax;

namespace {

// Tolerance on each recorded loss, relative to it.
constexpr double kLossTolerance = 1e-4;

// cross_entropy before the first step and after each of the five, recorded on x86-64 (GCC 12,
// Release, -march=native with AVX2 and FMA). When they were recorded, the reference kernels and the
// fast float32 kernels agreed to 1e-7 and aarch64 and armhf under qemu reproduced them bit for bit.
const std::vector<double> kRecordedLosses = {1.71419311, 1.4636302,   0.770870328,
                                              0.596098006, 0.431066215, 0.321338713};

// A value printed in full (hexadecimal float and decimal) for failure messages and for recording.
std::string exact(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%a (%.9g)", v, v);
  return text;
}

// conv3x3(3→6, padding 1) → batch norm (training) → ReLU → max-pool 2 → flatten → linear(96→4), on
// [8,3,8,8] inputs, cross-entropy against 4 classes; plain SGD. Everything is float32 and comes from
// Generator(seed 2024) streams 0 (weights) and 1 (data).
struct TinyCnn {
  Tensor conv, gamma, beta, running_mean, running_var, fc_weight, fc_bias;

  explicit TinyCnn(Generator& gen) {
    NoGradGuard no_grad;
    conv = (Tensor::randn({6, 3, 3, 3}, gen) * std::sqrt(2.0 / 27.0)).requires_grad_();
    gamma = Tensor::ones({6}).requires_grad_();
    beta = Tensor::zeros({6}).requires_grad_();
    running_mean = Tensor::zeros({6});
    running_var = Tensor::ones({6});
    fc_weight = (Tensor::randn({4, 96}, gen) * std::sqrt(1.0 / 96.0)).requires_grad_();
    fc_bias = Tensor::zeros({4}).requires_grad_();
  }

  std::vector<Tensor> parameters() const { return {conv, gamma, beta, fc_weight, fc_bias}; }

  Tensor loss(const Tensor& x, const Tensor& labels) const {
    Tensor h = conv2d(x, conv, Tensor(), Conv2dOptions{.padding = {1, 1}});
    h = relu(batch_norm(h, gamma, beta, running_mean, running_var, BatchNormOptions{.training = true}));
    h = max_pool2d(h, Pool2dOptions{.kernel = {2, 2}});
    return cross_entropy(linear(flatten(h, 1), fc_weight, fc_bias), labels);
  }
};

// p ← p − lr ∇p, then the gradients are cleared.
void sgd_step(const std::vector<Tensor>& params, float lr) {
  NoGradGuard no_grad;
  for (Tensor p : params) {
    const float* g = p.grad().data<float>();
    float* w = p.data<float>();
    for (std::int64_t k = 0; k < p.numel(); ++k) w[k] -= lr * g[k];
    p.zero_grad();
  }
}

// The losses before the first step and after each of `steps` SGD steps.
std::vector<double> train(int steps) {
  Generator init(2024, 0), data(2024, 1);
  const TinyCnn model(init);
  const Tensor x = Tensor::randn({8, 3, 8, 8}, data);
  Tensor labels = Tensor::zeros({8}, DType::Int64);
  for (std::int64_t i = 0; i < 8; ++i) labels.data<std::int64_t>()[i] = std::int64_t(data.next_below(4));

  std::vector<double> losses;
  for (int step = 0; step <= steps; ++step) {
    const Tensor loss = model.loss(x, labels);
    losses.push_back(loss.item());
    if (step == steps) break;
    loss.backward();
    sgd_step(model.parameters(), 0.1f);
  }
  return losses;
}

// Compares draws with the values recorded on x86, bit for bit, printing every draw that differs.
void check_draws(const std::string& what, const std::vector<double>& got, const std::vector<double>& recorded) {
  REQUIRE(got.size() == recorded.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(got[i] == recorded[i], what << "[" << i << "] is " << exact(got[i]) << ", recorded "
                                              << exact(recorded[i]));
}

}  // namespace

TEST_CASE("training steps: five SGD steps of a tiny CNN reproduce the losses recorded on x86") {
  const std::vector<double> losses = train(5);
  REQUIRE(losses.size() == kRecordedLosses.size());
  for (std::size_t i = 0; i < losses.size(); ++i) {
    const double error = std::abs(losses[i] - kRecordedLosses[i]);
    CHECK_MESSAGE(error <= kLossTolerance * std::abs(kRecordedLosses[i]),
                  "loss after step " << i << " is " << exact(losses[i]) << ", recorded "
                                     << exact(kRecordedLosses[i]) << " (relative error "
                                     << error / std::abs(kRecordedLosses[i]) << " > " << kLossTolerance << ")");
  }
  // The run is a real descent, not just a reproducible one.
  CHECK(losses.back() < 0.8 * losses.front());
}

TEST_CASE("training steps: the generator's draws are bit-identical to the ones recorded on x86") {
  SUBCASE("randn float32") {
    Generator gen(42, 7);
    check_draws("randn float32", Tensor::randn({8}, gen).to_vector(),
                {0x1.9e8a02p-1, -0x1.3e2ad4p-1, -0x1.0e2a82p-1, 0x1.d0d26p-1, -0x1.8349d8p+0,
                 0x1.8225e8p+0, 0x1.2e0adp-1, 0x1.2417e6p+0});
  }
  SUBCASE("randn float64") {
    Generator gen(42, 7);
    check_draws("randn float64", Tensor::randn({8}, gen, DType::Float64).to_vector(),
                {0x1.9e8a026f8a4c4p-1, -0x1.3e2ad3a1ef674p-1, -0x1.0e2a824d672b4p-1,
                 0x1.d0d260e03796ep-1, -0x1.8349d7dec9b66p+0, 0x1.8225e7caaf8e8p+0,
                 0x1.2e0ad07739abp-1, 0x1.2417e52fa0cf8p+0});
  }
  SUBCASE("rand float32 after a skip") {
    Generator gen(42, 8);
    gen.set_offset(1000);
    check_draws("rand float32", Tensor::rand({6}, gen).to_vector(),
                {0x1.e3c67p-3, 0x1.368db6p-1, 0x1.444fep-3, 0x1.0656a2p-1, 0x1.377774p-2, 0x1.7770fp-3});
  }
  SUBCASE("next_below") {
    Generator gen(3, 1);
    std::vector<double> got;
    for (int i = 0; i < 6; ++i) got.push_back(double(gen.next_below(1000003)));
    check_draws("next_below", got, {783245, 445509, 741438, 65978, 41124, 428576});
  }
}
