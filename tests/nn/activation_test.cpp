// ActivationSpec parsing and printing, the activation values, gradients of every kind, and
// switching a model's activations.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "nn/nn.hpp"
#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::nn;
using namespace attrax::nn::testing;
using Kind = ActivationSpec::Kind;

namespace {

bool same_spec(const ActivationSpec& a, const ActivationSpec& b) {
  return a.kind == b.kind && a.slope == b.slope && a.beta == b.beta;
}

}  // namespace

TEST_CASE("ActivationSpec parses every kind with its defaults") {
  ActivationSpec s = ActivationSpec::parse("relu");
  CHECK(s.kind == Kind::Relu);
  s = ActivationSpec::parse("leaky_relu");
  CHECK(s.kind == Kind::LeakyRelu);
  CHECK(s.slope == 0.01);
  s = ActivationSpec::parse("leaky_relu:0.2");
  CHECK(s.slope == 0.2);
  s = ActivationSpec::parse("softplus");
  CHECK(s.kind == Kind::Softplus);
  CHECK(s.beta == 1.0);
  s = ActivationSpec::parse("softplus:10");
  CHECK(s.beta == 10.0);
  s = ActivationSpec::parse("leaky_softplus");
  CHECK(s.kind == Kind::LeakySoftplus);
  CHECK(s.slope == 0.1);
  CHECK(s.beta == 1.0);
  s = ActivationSpec::parse("leaky_softplus:0.3:2.5");
  CHECK(s.slope == 0.3);
  CHECK(s.beta == 2.5);
  s = ActivationSpec::parse("leaky_relu:0");  // slope 0 is allowed
  CHECK(s.slope == 0.0);
}

TEST_CASE("ActivationSpec str() and parse() are inverses") {
  const std::vector<std::pair<std::string, std::string>> canonical = {
      {"relu", "relu"},
      {"leaky_relu", "leaky_relu:0.01"},
      {"leaky_relu:0.1", "leaky_relu:0.1"},
      {"softplus", "softplus:1"},
      {"softplus:10", "softplus:10"},
      {"softplus:0.5", "softplus:0.5"},
      {"leaky_softplus", "leaky_softplus:0.1:1"},
      {"leaky_softplus:0.2:5", "leaky_softplus:0.2:5"},
  };
  for (const auto& [text, str] : canonical) {
    const ActivationSpec spec = ActivationSpec::parse(text);
    CHECK_MESSAGE(spec.str() == str, text);
    CHECK_MESSAGE(same_spec(ActivationSpec::parse(spec.str()), spec), text);
  }
  // Values that need more than six significant digits survive the round trip.
  for (const std::string text : {"softplus:12.3456789", "leaky_relu:0.123456789",
                                 "leaky_softplus:0.0123456789:1000.00001", "softplus:1e-07"}) {
    const ActivationSpec spec = ActivationSpec::parse(text);
    CHECK_MESSAGE(same_spec(ActivationSpec::parse(spec.str()), spec), text << " -> " << spec.str());
  }
}

TEST_CASE("ActivationSpec rejects unknown names, bad numbers and out-of-range values") {
  const auto message = [](const std::string& text) {
    return error_message<ValueError>([&] { ActivationSpec::parse(text); });
  };
  for (const std::string text : {"tanh", "Relu", "relu:1", "leaky_relu:0.1:2", "softplus:1:2",
                                 "leaky_softplus:0.1:1:1", "", "sigmoid"}) {
    const std::string m = message(text);
    CHECK_MESSAGE(!m.empty(), "'" << text << "' was accepted");
    if (!text.empty()) CHECK_MESSAGE(contains(m, "'" + text + "'"), m);
  }
  CHECK(contains(message("tanh"), "leaky_softplus"));  // the message lists the valid kinds

  for (const std::string text : {"softplus:abc", "softplus:1e", "leaky_relu:0.1x", "softplus:",
                                 "leaky_softplus::2"}) {
    const std::string m = message(text);
    CHECK_MESSAGE(!m.empty(), "'" << text << "' was accepted");
  }
  CHECK(contains(message("softplus:abc"), "'abc' is not a number"));

  for (const std::string text : {"softplus:0", "softplus:-1", "leaky_softplus:0.1:0",
                                 "softplus:nan", "softplus:inf"}) {
    const std::string m = message(text);
    CHECK_MESSAGE(contains(m, "beta"), "'" << text << "': " << m);
  }
  for (const std::string text : {"leaky_relu:-0.1", "leaky_relu:1", "leaky_relu:1.5",
                                 "leaky_softplus:2:1", "leaky_relu:nan"}) {
    const std::string m = message(text);
    CHECK_MESSAGE(contains(m, "slope"), "'" << text << "': " << m);
  }
}

TEST_CASE("apply_activation computes each kind") {
  const Tensor x = Tensor::from_data(std::vector<double>{-2.0, -0.5, 0.0, 0.5, 3.0}, {5});
  const std::vector<double> v = x.to_vector();
  const auto values = [&](const std::string& spec) {
    return apply_activation(ActivationSpec::parse(spec), x).to_vector();
  };
  const auto softplus_ref = [](double t, double beta) { return std::log1p(std::exp(beta * t)) / beta; };

  const std::vector<double> relu_v = values("relu");
  const std::vector<double> leaky_v = values("leaky_relu:0.2");
  const std::vector<double> soft_v = values("softplus:2");
  const std::vector<double> leaky_soft_v = values("leaky_softplus:0.2:2");
  for (std::size_t i = 0; i < v.size(); ++i) {
    CAPTURE(v[i]);
    CHECK(relu_v[i] == std::max(v[i], 0.0));
    CHECK(leaky_v[i] == doctest::Approx(v[i] > 0 ? v[i] : 0.2 * v[i]));
    CHECK(soft_v[i] == doctest::Approx(softplus_ref(v[i], 2.0)).epsilon(1e-12));
    CHECK(leaky_soft_v[i] ==
          doctest::Approx(0.2 * v[i] + 0.8 * softplus_ref(v[i], 2.0)).epsilon(1e-12));
  }
  // leaky softplus at 0: (1 - slope) log(2) / beta
  CHECK(leaky_soft_v[2] == doctest::Approx(0.8 * std::log(2.0) / 2.0));
  // Large beta approaches leaky relu.
  const std::vector<double> sharp = values("leaky_softplus:0.2:1000");
  for (std::size_t i = 0; i < v.size(); ++i)
    CHECK(std::abs(sharp[i] - leaky_v[i]) < 1e-3);
  // float32 in, float32 out.
  CHECK(apply_activation(ActivationSpec::parse("leaky_softplus"), x.to(DType::Float32)).dtype() ==
        DType::Float32);
}

TEST_CASE("apply_activation has correct first and second derivatives for every kind") {
  const Tensor x = attrax::testing::random_normal({4, 5}, 7);
  for (const std::string spec_text :
       {"relu", "leaky_relu:0.2", "softplus", "softplus:3", "leaky_softplus:0.1:2"}) {
    CAPTURE(spec_text);
    const ActivationSpec spec = ActivationSpec::parse(spec_text);
    attrax::testing::check_gradients(
        [spec](const std::vector<Tensor>& in) { return apply_activation(spec, in[0]); }, {x});
  }
}

TEST_CASE("set_activation switches every Activation layer of a tree") {
  Sequential seq;
  seq.append(std::make_unique<Activation>());
  auto& inner = seq.append(std::make_unique<Sequential>());
  auto& deep = inner.append(std::make_unique<Activation>(ActivationSpec::parse("leaky_relu:0.3")));
  set_activation(seq, ActivationSpec::parse("softplus:4"));
  CHECK(dynamic_cast<Activation&>(seq[0]).spec().str() == "softplus:4");
  CHECK(deep.spec().str() == "softplus:4");
  const Tensor x = Tensor::from_data(std::vector<float>{-1.0f, 0.0f, 2.0f}, {3});
  const Tensor y = seq(x);
  // softplus applied twice
  const auto sp = [](double t) { return std::log1p(std::exp(4 * t)) / 4; };
  CHECK(y.at({0}) == doctest::Approx(sp(sp(-1.0))).epsilon(1e-5));
  CHECK(y.at({2}) == doctest::Approx(sp(sp(2.0))).epsilon(1e-5));
}
