#include "adversarial/robustness.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>

#include "adversarial/losses.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "models/evaluation.hpp"

namespace attrax::adversarial {
namespace {

constexpr double kTolerance = 0.01;   // accuracy differences below this are noise
constexpr double kLargeEpsFloor = 0.05;  // robust accuracy a large-ε PGD must get below

bool is_black_box(const std::string& attack) { return attack == "square"; }
bool is_gradient_attack(const std::string& attack) {
  return !is_black_box(attack) && attack != "autoattack";
}

std::vector<std::int64_t> range(std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(end - begin));
  std::iota(out.begin(), out.end(), begin);
  return out;
}

// Which images the model classifies correctly, without attack.
std::vector<bool> clean_correct(models::Classifier& model, const data::Dataset& data,
                                std::int64_t batch_size) {
  EvalModeGuard eval_mode(model);
  NoGradGuard no_grad;
  std::vector<bool> correct;
  for (std::int64_t begin = 0; begin < data.count; begin += batch_size) {
    const std::vector<std::int64_t> indices = range(begin, std::min(begin + batch_size, data.count));
    const std::vector<bool> wrong = goal_reached(model(data.images(indices)), data.labels_of(indices), false);
    for (bool w : wrong) correct.push_back(!w);
  }
  return correct;
}

// Runs one attack over the data in batches.
AttackResult run_attack(models::Classifier& model, const data::Dataset& data, const AttackSpec& spec,
                        const std::vector<bool>& clean, std::int64_t batch_size) {
  const auto start = std::chrono::steady_clock::now();
  const std::unique_ptr<Attack> attack = make_attack(spec);
  std::int64_t robust = 0, fooled = 0, clean_count = 0;
  double perturbation = 0;
  for (std::int64_t begin = 0; begin < data.count; begin += batch_size) {
    const std::vector<std::int64_t> indices = range(begin, std::min(begin + batch_size, data.count));
    const Tensor x = data.images(indices), y = data.labels_of(indices);
    const Tensor x_adv = (*attack)(model, x, y);
    EvalModeGuard eval_mode(model);
    NoGradGuard no_grad;
    const std::vector<bool> wrong = goal_reached(model(x_adv), y, false);
    for (std::size_t i = 0; i < wrong.size(); ++i) {
      const bool was_correct = clean[std::size_t(begin) + i];
      robust += !wrong[i];
      clean_count += was_correct;
      fooled += was_correct && wrong[i];
    }
    perturbation += sum(per_sample_norm(x_adv - x, spec.threat.norm)).item();
  }
  AttackResult r;
  r.attack = spec.name;
  r.norm = norm_name(spec.threat.norm);
  r.eps = spec.threat.eps;
  // the black-box attack's budget is its queries
  r.steps = is_black_box(spec.name) ? spec.queries : spec.steps > 0 ? spec.steps : default_steps(spec.name);
  r.robust_accuracy = double(robust) / double(data.count);
  r.success_rate = clean_count > 0 ? double(fooled) / double(clean_count) : 0.0;
  r.mean_perturbation = perturbation / double(data.count);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

template <class... Values>
std::string format(const char* pattern, Values... values) {
  char text[200];
  std::snprintf(text, sizeof text, pattern, values...);
  return text;
}

// The extra attacks of the gradient-masking checks, on the first check_limit images at the
// largest ε; `results` supplies the Square and white-box accuracies for the last check.
std::vector<MaskingCheck> masking_checks(models::Classifier& model, const data::Dataset& data,
                                         const RobustnessOptions& o,
                                         const std::vector<AttackResult>& results) {
  const data::Dataset subset = data.head(o.check_limit);
  const std::vector<bool> clean = clean_correct(model, subset, o.batch_size);
  const double eps = *std::max_element(o.eps.begin(), o.eps.end());
  AttackSpec pgd = o.base;
  pgd.name = "pgd";
  pgd.threat.eps = eps;
  pgd.steps = o.base.steps > 0 ? o.base.steps : default_steps("pgd");
  const auto accuracy = [&](const AttackSpec& spec) {
    return run_attack(model, subset, spec, clean, o.batch_size).robust_accuracy;
  };
  const double pgd_accuracy = accuracy(pgd);
  std::vector<MaskingCheck> checks;

  AttackSpec more = pgd;
  more.steps = 4 * pgd.steps;
  more.alpha = pgd.alpha > 0 ? pgd.alpha / 4 : 0;
  const double more_accuracy = accuracy(more);
  checks.push_back({"more_steps", more_accuracy <= pgd_accuracy + kTolerance,
                    format("PGD-%lld accuracy %.4f vs PGD-%lld %.4f", static_cast<long long>(more.steps),
                           more_accuracy, static_cast<long long>(pgd.steps), pgd_accuracy)});

  AttackSpec fgsm = pgd;
  fgsm.name = "fgsm";
  fgsm.steps = 1;
  fgsm.alpha = 0;
  const double fgsm_accuracy = accuracy(fgsm);
  checks.push_back({"pgd_vs_fgsm", pgd_accuracy <= fgsm_accuracy + kTolerance,
                    format("PGD accuracy %.4f vs FGSM %.4f", pgd_accuracy, fgsm_accuracy)});

  AttackSpec large = pgd;
  large.threat.eps = pgd.threat.norm == Norm::Linf
                         ? 0.5
                         : 0.5 * std::sqrt(double(data.channels * data.height * data.width));
  large.alpha = 0;
  const double large_accuracy = accuracy(large);
  checks.push_back({"large_eps", large_accuracy <= kLargeEpsFloor,
                    format("PGD accuracy %.4f at eps %.3g (expected <= %.2f)", large_accuracy,
                           large.threat.eps, kLargeEpsFloor)});

  for (const AttackResult& black : results) {
    if (!is_black_box(black.attack)) continue;
    double white = 1.0;
    for (const AttackResult& r : results)
      if (is_gradient_attack(r.attack) && r.eps == black.eps) white = std::min(white, r.robust_accuracy);
    checks.push_back({"white_vs_black", black.robust_accuracy + kTolerance >= white,
                      format("Square accuracy %.4f vs the strongest gradient attack %.4f at eps %.3g",
                             black.robust_accuracy, white, black.eps)});
  }
  return checks;
}

}  // namespace

RobustnessReport evaluate_robustness(models::Classifier& model, const data::Dataset& full,
                                     const RobustnessOptions& o) {
  if (o.attacks.empty()) throw ValueError("robustness: no attack given");
  if (o.eps.empty()) throw ValueError("robustness: no eps given");
  for (double eps : o.eps) ThreatModel{o.base.threat.norm, eps}.validate();
  if (o.batch_size < 1) throw ValueError("batch size: must be at least 1");
  for (const std::string& name : o.attacks) {
    AttackSpec probe = o.base;
    probe.name = name;
    make_attack(probe);  // unknown names and rejected options fail before any work
  }
  const data::Dataset data = full.head(o.limit);
  RobustnessReport report;
  report.count = data.count;
  report.clean_accuracy = models::evaluate(model, data, 0, o.batch_size).accuracy;
  const std::vector<bool> clean = clean_correct(model, data, o.batch_size);
  for (double eps : o.eps)
    for (const std::string& name : o.attacks) {
      AttackSpec spec = o.base;
      spec.name = name;
      spec.threat.eps = eps;
      report.results.push_back(run_attack(model, data, spec, clean, o.batch_size));
    }
  if (o.masking_checks) report.checks = masking_checks(model, data, o, report.results);
  return report;
}

std::string RobustnessReport::json() const {
  nlohmann::json results_json = nlohmann::json::array(), checks_json = nlohmann::json::array();
  for (const AttackResult& r : results)
    results_json.push_back({{"attack", r.attack}, {"norm", r.norm}, {"eps", r.eps}, {"steps", r.steps},
                            {"robust_accuracy", r.robust_accuracy}, {"success_rate", r.success_rate},
                            {"mean_perturbation", r.mean_perturbation}, {"seconds", r.seconds}});
  for (const MaskingCheck& c : checks)
    checks_json.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  return nlohmann::json{{"count", count}, {"clean_accuracy", clean_accuracy},
                        {"results", results_json}, {"checks", checks_json}}
      .dump();
}

std::string RobustnessReport::table() const {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "clean accuracy %.4f on %lld images\n\n", clean_accuracy,
                static_cast<long long>(count));
  out += line;
  out += "attack       norm   eps      steps  robust acc  success  mean |d|  seconds\n";
  for (const AttackResult& r : results) {
    std::snprintf(line, sizeof line, "%-12s %-5s  %-7.4g  %5lld  %10.4f  %7.4f  %8.4f  %7.1f\n",
                  r.attack.c_str(), r.norm.c_str(), r.eps, static_cast<long long>(r.steps),
                  r.robust_accuracy, r.success_rate, r.mean_perturbation, r.seconds);
    out += line;
  }
  if (!checks.empty()) out += "\ngradient-masking checks\n";
  for (const MaskingCheck& c : checks)
    out += (c.passed ? "  ok       " : "  warning  ") + c.name + ": " + c.detail + "\n";
  return out;
}

}  // namespace attrax::adversarial
