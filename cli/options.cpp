#include "cli/options.hpp"

#include <exception>
#include <string>

namespace attrax::cli {

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

}  // namespace attrax::cli
