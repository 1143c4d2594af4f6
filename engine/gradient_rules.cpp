#include "engine/gradient_rules.hpp"

namespace attrax {

namespace {
thread_local const GradientRules* active_rules = nullptr;
}

GradientRules& GradientRules::set(Nonlinearity kind, GradientRule rule) {
  rules_[kind] = std::move(rule);
  return *this;
}

const GradientRule* GradientRules::find(Nonlinearity kind) const {
  const auto it = rules_.find(kind);
  return it == rules_.end() ? nullptr : &it->second;
}

GradientRuleScope::GradientRuleScope(const GradientRules& rules) : previous_(active_rules) {
  active_rules = &rules;
}

GradientRuleScope::~GradientRuleScope() { active_rules = previous_; }

const GradientRules* active_gradient_rules() { return active_rules; }

}  // namespace attrax
