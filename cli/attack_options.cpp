#include "cli/attack_options.hpp"

namespace attrax::cli {

const std::set<std::string>& attack_flags() {
  static const std::set<std::string> flags{"--attack", "--eps",     "--norm",  "--steps",
                                           "--alpha",  "--restarts", "--queries", "--seed"};
  return flags;
}

std::vector<std::string> split_list(const std::string& flag, const std::string& text) {
  std::vector<std::string> items;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (item.empty()) throw UsageError(flag + " has an empty item in '" + text + "'");
    items.push_back(item);
    if (comma == std::string::npos) return items;
    begin = comma + 1;
  }
}

adversarial::AttackSpec parse_attack_spec(const ParsedOptions& o) {
  adversarial::AttackSpec spec;
  try {
    spec.threat.norm = adversarial::parse_norm(o.text("--norm", "linf"));
  } catch (const ValueError& e) {
    throw UsageError(std::string("--norm: ") + e.what());
  }
  spec.steps = o.integer("--steps", 0, 1);
  spec.alpha = o.number("--alpha", 0.0, 0.0);
  spec.restarts = o.integer("--restarts", 1, 1);
  spec.queries = o.integer("--queries", spec.queries, 1);
  spec.seed = std::uint64_t(o.integer("--seed", 0, 0));
  return spec;
}

std::vector<double> parse_eps_list(const ParsedOptions& o) {
  std::vector<double> eps;
  for (const std::string& item : split_list("--eps", o.text("--eps", "0.1")))
    eps.push_back(parse_number("--eps", item, 0.0));
  return eps;
}

std::string attack_list_help() {
  std::string text;
  for (const std::string& name : adversarial::attack_names()) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace attrax::cli
