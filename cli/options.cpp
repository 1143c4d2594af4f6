#include "cli/options.hpp"

#include <cmath>
#include <exception>
#include <string>

#include "engine/kernels/threading.hpp"

namespace attrax::cli {

namespace {

constexpr std::int64_t kMaxThreads = 1024;

std::string known_flags(const std::set<std::string>& value_flags,
                        const std::set<std::string>& switch_flags) {
  std::string out;
  for (const std::string& flag : value_flags) out += (out.empty() ? "" : ", ") + flag + " V";
  for (const std::string& flag : switch_flags) out += (out.empty() ? "" : ", ") + flag;
  return out;
}

}  // namespace

std::int64_t parse_integer(const std::string& flag, const char* value, std::int64_t minimum) {
  try {
    std::size_t used = 0;
    const long long parsed = std::stoll(value, &used);
    if (used == std::string(value).size() && parsed >= minimum) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " expects an integer of at least " + std::to_string(minimum) + ", got '" +
                   value + "'");
}

double parse_number(const std::string& flag, const std::string& value, double minimum) {
  try {
    std::size_t used = 0;
    const double parsed = std::stod(value, &used);
    if (used == value.size() && std::isfinite(parsed) && parsed >= minimum) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " expects a number of at least " + std::to_string(minimum) + ", got '" +
                   value + "'");
}

ParsedOptions::ParsedOptions(int argc, char** argv, const std::set<std::string>& value_flags,
                             const std::set<std::string>& switch_flags) {
  for (int i = 0; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool takes_value = value_flags.count(flag) > 0;
    if (!takes_value && !switch_flags.count(flag))
      throw UsageError("unknown option '" + flag + "' (options: " +
                       known_flags(value_flags, switch_flags) + ")");
    if (takes_value && i + 1 >= argc) throw UsageError(flag + " needs a value");
    if (values_.count(flag)) throw UsageError(flag + " is given twice");
    values_[flag] = takes_value ? argv[++i] : "";
  }
}

std::string ParsedOptions::text(const std::string& flag, const std::string& fallback) const {
  const auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second;
}

std::int64_t ParsedOptions::integer(const std::string& flag, std::int64_t fallback,
                                    std::int64_t minimum) const {
  const auto it = values_.find(flag);
  return it == values_.end() ? fallback : parse_integer(flag, it->second.c_str(), minimum);
}

double ParsedOptions::number(const std::string& flag, double fallback, double minimum) const {
  const auto it = values_.find(flag);
  return it == values_.end() ? fallback : parse_number(flag, it->second, minimum);
}

std::string ParsedOptions::required(const std::string& flag) const {
  const auto it = values_.find(flag);
  if (it == values_.end()) throw UsageError(flag + " is required");
  return it->second;
}

void apply_threads(const ParsedOptions& options) {
  if (!options.has("--threads")) return;
  const std::int64_t threads = options.integer("--threads", 1, 1);
  if (threads > kMaxThreads)
    throw UsageError("--threads expects at most " + std::to_string(kMaxThreads) + ", got " +
                     std::to_string(threads));
  kernels::set_threads(int(threads));
}

}  // namespace attrax::cli
