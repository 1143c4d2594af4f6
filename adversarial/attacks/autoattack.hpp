#pragma once
// AutoAttack (Croce & Hein 2020), the "standard" ensemble without FAB: APGD-CE, then APGD-T
// (targeted DLR over the top min(9, K − 1) classes other than the true one), then Square
// (score-based black box), each run only on the samples every previous attack left correctly
// classified. Per sample the result is the first successful adversarial point, or for a robust
// sample the last attack's output. APGD-T needs K ≥ 4 classes and is left out of the ensemble for
// models with fewer.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adversarial/attack.hpp"

namespace attrax::adversarial {

struct AutoAttackOptions {
  ThreatModel threat;
  std::int64_t steps = 100;     // per APGD run
  std::int64_t queries = 5000;  // of Square
  std::uint64_t seed = 0;
  // ValueError naming the option for steps < 1, queries < 1 or a bad ε.
  void validate() const;
};

class AutoAttack : public Attack {
 public:
  explicit AutoAttack(AutoAttackOptions options);
  std::string name() const override { return "autoattack"; }
  std::optional<ThreatModel> threat() const override { return options_.threat; }
  bool targeted() const override { return false; }

  // After a call, per sample: the name of the component that first misclassified it ("apgd-ce",
  // "apgd-t", "square"), "clean" if the model misclassified it without attack, "" if it is robust.
  const std::vector<std::string>& broken_by() const { return broken_by_; }
  // How many samples of the last call were misclassified without attack ("clean") and how many each
  // component broke, in the order they run (APGD-T counts 0 when left out).
  std::vector<std::pair<std::string, std::int64_t>> broken_counts() const;

 protected:
  Tensor run(nn::Module& model, const Tensor& x, const Tensor& labels) override;

 private:
  // The components that apply to a model with `classes` classes, in order.
  std::vector<Attack*> components(std::int64_t classes) const;

  AutoAttackOptions options_;
  std::unique_ptr<Attack> apgd_ce_, apgd_t_, square_;
  std::vector<std::string> broken_by_;
};

}  // namespace attrax::adversarial
