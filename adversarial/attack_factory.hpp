#pragma once
// Attacks by name, for the command line and robustness evaluation.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adversarial/attack.hpp"

namespace attrax::adversarial {

struct AttackSpec {
  std::string name = "pgd";
  ThreatModel threat;
  std::int64_t steps = 0;      // 0: the attack's default (fgsm 1, pgd/bim/mifgsm 10, apgd 100, ...)
  double alpha = 0;            // 0: the attack's default step size
  std::int64_t restarts = 1;
  std::int64_t queries = 5000; // square
  bool targeted = false;       // labels given to the attack are targets
  std::uint64_t seed = 0;
};

// The names make_attack accepts, for usage messages.
const std::vector<std::string>& attack_names();

// ValueError naming the attack when it is unknown (listing the known ones), or naming the option
// the attack rejects.
std::unique_ptr<Attack> make_attack(const AttackSpec& spec);

// The steps an attack runs with when spec.steps is 0 (1 for single-step and black-box attacks).
std::int64_t default_steps(const std::string& attack);

}  // namespace attrax::adversarial
