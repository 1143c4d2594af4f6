#pragma once
// The attack options shared by `attrax eval --attack` and `attrax attack`:
//   --attack A[,B..] --eps E[,E2..] --norm linf|l2 --steps K --alpha A --restarts R --queries Q
//   --seed S --target T (attack only)
#include <set>
#include <string>
#include <vector>

#include "adversarial/attack_factory.hpp"
#include "cli/options.hpp"

namespace attrax::cli {

// The value flags the parser below reads.
const std::set<std::string>& attack_flags();

// Comma-separated items of a flag's value; UsageError naming the flag for an empty item.
std::vector<std::string> split_list(const std::string& flag, const std::string& text);

// --norm, --steps, --alpha, --restarts, --queries, --seed into a spec (name and ε left to the caller).
adversarial::AttackSpec parse_attack_spec(const ParsedOptions& o);

// --eps as a list of numbers >= 0 (default 0.1).
std::vector<double> parse_eps_list(const ParsedOptions& o);

// "attack A: one of ..." help text listing the known attacks.
std::string attack_list_help();

}  // namespace attrax::cli
