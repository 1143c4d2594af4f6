#include "adversarial/attack_factory.hpp"

#include <functional>
#include <map>

#include "adversarial/attacks/apgd.hpp"
#include "adversarial/attacks/autoattack.hpp"
#include "adversarial/attacks/carlini_wagner.hpp"
#include "adversarial/attacks/deepfool.hpp"
#include "adversarial/attacks/fgsm.hpp"
#include "adversarial/attacks/gra.hpp"
#include "adversarial/attacks/mifgsm.hpp"
#include "adversarial/attacks/mig.hpp"
#include "adversarial/attacks/pgd.hpp"
#include "adversarial/attacks/square.hpp"
#include "adversarial/attacks/transfer.hpp"
#include "engine/error.hpp"

namespace attrax::adversarial {
namespace {

using Maker = std::function<std::unique_ptr<Attack>(const AttackSpec&, std::int64_t steps)>;

PgdOptions pgd_options(const AttackSpec& s, std::int64_t steps) {
  return {.threat = s.threat, .steps = steps, .alpha = s.alpha, .restarts = s.restarts,
          .targeted = s.targeted, .seed = s.seed};
}

// MI-FGSM whose gradient goes through the transfer transforms (DI, TI, SSA; SSA's σ = ε as in
// AttEXplore).
Maker transfer_mifgsm(const char* name, TransferOptions transfer) {
  return [name, transfer](const AttackSpec& s, std::int64_t steps) {
    TransferOptions at_eps = transfer;
    at_eps.ssa_sigma = s.threat.eps;
    return std::make_unique<MiFgsm>(MiFgsmOptions{.threat = s.threat, .steps = steps, .alpha = s.alpha,
                                                  .targeted = s.targeted,
                                                  .gradient = transfer_gradient(at_eps),
                                                  .seed = s.seed},
                                    name);
  };
}

// APGD with the given loss ("ce", "dlr") or APGD-T (targeted DLR over the runner-up classes).
Maker apgd(std::string loss, bool targeted_dlr) {
  return [loss, targeted_dlr](const AttackSpec& s, std::int64_t steps) {
    return std::make_unique<Apgd>(ApgdOptions{.threat = s.threat, .steps = steps, .restarts = s.restarts,
                                              .loss = loss, .targeted = targeted_dlr, .seed = s.seed});
  };
}

struct Entry {
  std::int64_t default_steps;
  Maker make;
};

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> entries{
      {"fgsm", {1, [](const AttackSpec& s, std::int64_t) {
         return std::make_unique<Fgsm>(FgsmOptions{.threat = s.threat, .targeted = s.targeted});
       }}},
      {"bim", {10, [](const AttackSpec& s, std::int64_t steps) {
         return std::make_unique<Pgd>(make_bim(pgd_options(s, steps)));
       }}},
      {"pgd", {10, [](const AttackSpec& s, std::int64_t steps) {
         return std::make_unique<Pgd>(pgd_options(s, steps));
       }}},
      {"mifgsm", {10, [](const AttackSpec& s, std::int64_t steps) {
         return std::make_unique<MiFgsm>(MiFgsmOptions{.threat = s.threat, .steps = steps,
                                                       .alpha = s.alpha, .targeted = s.targeted,
                                                       .seed = s.seed});
       }}},
      {"apgd-ce", {100, apgd("ce", false)}},
      {"apgd-dlr", {100, apgd("dlr", false)}},
      {"apgd-t", {100, apgd("dlr", true)}},
      {"square", {1, [](const AttackSpec& s, std::int64_t) {
         return std::make_unique<Square>(SquareOptions{.threat = s.threat, .queries = s.queries,
                                                       .restarts = s.restarts, .targeted = s.targeted,
                                                       .seed = s.seed});
       }}},
      {"autoattack", {100, [](const AttackSpec& s, std::int64_t steps) {
         return std::make_unique<AutoAttack>(AutoAttackOptions{.threat = s.threat, .steps = steps,
                                                               .queries = s.queries, .seed = s.seed});
       }}},
      {"deepfool", {50, [](const AttackSpec& s, std::int64_t steps) {
         return std::make_unique<DeepFool>(DeepFoolOptions{.norm = s.threat.norm, .steps = steps,
                                                           .budget = s.threat});
       }}},
      {"cw", {100, [](const AttackSpec& s, std::int64_t steps) {
         if (s.threat.norm != Norm::L2)
           throw ValueError("cw: Carlini-Wagner is an L2 attack; give the L2 norm (--norm l2)");
         return std::make_unique<CarliniWagner>(CarliniWagnerOptions{.steps = steps, .targeted = s.targeted,
                                                                     .eps = s.threat.eps});
       }}},
      {"di-mifgsm", {10, transfer_mifgsm("di-mifgsm", {.diversity_prob = 0.5})}},
      {"ti-mifgsm", {10, transfer_mifgsm("ti-mifgsm", {.ti_kernel = 7})}},
      {"ssa-mifgsm", {10, transfer_mifgsm("ssa-mifgsm", {.ssa_samples = 20})}},
      {"mig", {10, [](const AttackSpec& s, std::int64_t steps) {
         return std::make_unique<Mig>(MigOptions{.threat = s.threat, .steps = steps, .alpha = s.alpha,
                                                 .targeted = s.targeted, .seed = s.seed});
       }}},
      {"gra", {10, [](const AttackSpec& s, std::int64_t steps) {
         return std::make_unique<Gra>(GraOptions{.threat = s.threat, .steps = steps, .alpha = s.alpha,
                                                 .targeted = s.targeted, .seed = s.seed});
       }}},
  };
  return entries;
}

const Entry& entry(const std::string& name) {
  const auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known;
    for (const std::string& n : attack_names()) known += (known.empty() ? "" : ", ") + n;
    throw ValueError("attack: unknown attack '" + name + "' (expected one of " + known + ")");
  }
  return it->second;
}

}  // namespace

const std::vector<std::string>& attack_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, e] : registry()) out.push_back(name);
    return out;
  }();
  return names;
}

std::int64_t default_steps(const std::string& attack) { return entry(attack).default_steps; }

std::unique_ptr<Attack> make_attack(const AttackSpec& spec) {
  const Entry& e = entry(spec.name);
  if (spec.steps < 0) throw ValueError("steps: " + std::to_string(spec.steps) + " must be >= 0");
  return e.make(spec, spec.steps > 0 ? spec.steps : e.default_steps);
}

}  // namespace attrax::adversarial
