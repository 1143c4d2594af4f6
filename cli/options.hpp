#pragma once
// Command-line option helpers shared by the commands.
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "engine/error.hpp"

namespace attrax::cli {

// A bad or incomplete option: main prints the message and exits with status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// The value of `flag` as an integer >= minimum; UsageError naming the flag otherwise.
std::int64_t parse_integer(const std::string& flag, const char* value, std::int64_t minimum);

// The value of `flag` as a positive integer; UsageError naming the flag otherwise.
inline std::int64_t parse_positive(const std::string& flag, const char* value) {
  return parse_integer(flag, value, 1);
}

// The value of `flag` as a finite number >= minimum; UsageError naming the flag otherwise.
double parse_number(const std::string& flag, const std::string& value, double minimum);

// `--flag value` options and `--switch` options of one command, checked against the flags the
// command knows: an unknown flag, a value flag at the end of the line or a repeated flag is a
// UsageError that lists the known flags.
class ParsedOptions {
 public:
  ParsedOptions(int argc, char** argv, const std::set<std::string>& value_flags,
                const std::set<std::string>& switch_flags);

  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string text(const std::string& flag, const std::string& fallback) const;
  std::int64_t integer(const std::string& flag, std::int64_t fallback, std::int64_t minimum) const;
  double number(const std::string& flag, double fallback, double minimum) const;
  // The value of a required flag; UsageError naming it when absent.
  std::string required(const std::string& flag) const;

 private:
  std::map<std::string, std::string> values_;  // switches map to ""
};

// Applies --threads N (1..1024) when given.
void apply_threads(const ParsedOptions& options);

}  // namespace attrax::cli
