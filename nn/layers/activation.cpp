#include "nn/layers/activation.hpp"

#include <charconv>
#include <cmath>
#include <sstream>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops/activation.hpp"
#include "engine/ops/elementwise.hpp"

namespace attrax::nn {

namespace {

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> fields;
  std::stringstream stream(text);
  for (std::string field; std::getline(stream, field, ':');) fields.push_back(field);
  if (!text.empty() && text.back() == ':') fields.emplace_back();  // "softplus:" has an empty number
  return fields;
}

double parse_number(const std::string& field, const std::string& text) {
  double value = 0;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (ec != std::errc() || ptr != end || field.empty())
    throw ValueError("activation '" + text + "': '" + field + "' is not a number");
  return value;
}

// The shortest text that parses back to the same double ("0.1", "10", "0.123456789").
std::string format_number(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

}  // namespace

ActivationSpec ActivationSpec::parse(const std::string& text) {
  const std::vector<std::string> f = split_fields(text);
  const std::string usage = "; expected relu, leaky_relu[:slope], softplus[:beta] or "
                            "leaky_softplus[:slope[:beta]]";
  if (f.empty()) throw ValueError("activation is empty" + usage);
  ActivationSpec spec;
  const auto number = [&](std::size_t i, double fallback) {
    return f.size() > i ? parse_number(f[i], text) : fallback;
  };
  if (f[0] == "relu" && f.size() == 1) {
    spec.kind = Kind::Relu;
  } else if (f[0] == "leaky_relu" && f.size() <= 2) {
    spec.kind = Kind::LeakyRelu;
    spec.slope = number(1, 0.01);
  } else if (f[0] == "softplus" && f.size() <= 2) {
    spec.kind = Kind::Softplus;
    spec.beta = number(1, 1.0);
  } else if (f[0] == "leaky_softplus" && f.size() <= 3) {
    spec.kind = Kind::LeakySoftplus;
    spec.slope = number(1, 0.1);
    spec.beta = number(2, 1.0);
  } else {
    throw ValueError("unknown activation '" + text + "'" + usage);
  }
  if (!(spec.beta > 0) || !std::isfinite(spec.beta))
    throw ValueError("activation '" + text + "': beta must be a finite number > 0");
  if (!(spec.slope >= 0 && spec.slope < 1))
    throw ValueError("activation '" + text + "': slope must be in [0, 1)");
  return spec;
}

std::string ActivationSpec::str() const {
  switch (kind) {
    case Kind::Relu: return "relu";
    case Kind::LeakyRelu: return "leaky_relu:" + format_number(slope);
    case Kind::Softplus: return "softplus:" + format_number(beta);
    case Kind::LeakySoftplus: return "leaky_softplus:" + format_number(slope) + ":" +
                                     format_number(beta);
  }
  return "relu";
}

Tensor apply_activation(const ActivationSpec& spec, const Tensor& x) {
  switch (spec.kind) {
    case ActivationSpec::Kind::Relu: return relu(x);
    case ActivationSpec::Kind::LeakyRelu: return leaky_relu(x, spec.slope);
    case ActivationSpec::Kind::Softplus: return softplus(x, spec.beta);
    case ActivationSpec::Kind::LeakySoftplus:
      return x * spec.slope + softplus(x, spec.beta) * (1.0 - spec.slope);
  }
  throw ValueError("apply_activation: unknown kind");
}

std::string Activation::describe() const { return "Activation(" + spec_.str() + ")"; }

void set_activation(Module& root, const ActivationSpec& spec) {
  for (auto& [path, module] : root.named_modules())
    if (auto* activation = dynamic_cast<Activation*>(module)) activation->set_spec(spec);
}

}  // namespace attrax::nn
