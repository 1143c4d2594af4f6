#pragma once
// Scoped gradient-rule overrides: for one backward pass, replace the VJP of chosen nonlinearities
// (Guided Backprop, Deconvnet, DeepLIFT Rescale, LRP). The override belongs to the pass, not to
// modules, so residual adds and reused modules stay correct.
//
//   GradientRules guided;
//   guided.set(Nonlinearity::Relu, [](const RuleContext& c) {
//     return relu(c.grad_output) * step(c.input);   // pass positive gradients at positive inputs
//   });
//   { GradientRuleScope scope(guided); auto g = grad({score}, {x}); }
#include <functional>
#include <map>

#include "engine/autograd.hpp"

namespace attrax {

// What a rule sees at one nonlinearity y = f(x) during the pass.
struct RuleContext {
  Nonlinearity kind;
  Tensor input;        // x
  Tensor output;       // y
  Tensor grad_output;  // dL/dy arriving from above
};

// Returns dL/dx to send below in place of the op's own VJP.
using GradientRule = std::function<Tensor(const RuleContext&)>;

class GradientRules {
 public:
  GradientRules& set(Nonlinearity kind, GradientRule rule);
  const GradientRule* find(Nonlinearity kind) const;

 private:
  std::map<Nonlinearity, GradientRule> rules_;
};

// Makes `rules` active for backward passes run on this thread during its lifetime (nestable; the
// innermost scope wins).
class GradientRuleScope {
 public:
  explicit GradientRuleScope(const GradientRules& rules);
  ~GradientRuleScope();
  GradientRuleScope(const GradientRuleScope&) = delete;
  GradientRuleScope& operator=(const GradientRuleScope&) = delete;

 private:
  const GradientRules* previous_;
};

// The innermost active rules, or null.
const GradientRules* active_gradient_rules();

}  // namespace attrax
