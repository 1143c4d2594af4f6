#pragma once
// Command-line option helpers shared by the commands.
#include <cstdint>
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

}  // namespace attrax::cli
