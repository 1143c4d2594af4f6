#include "bench/report.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>

namespace attrax::bench {

namespace {

// The unit a key's suffix names.
const char* unit_of(const std::string& key) {
  if (key.ends_with("_gflops")) return "GFLOP/s";
  if (key.ends_with("_img_s")) return "images/s";
  if (key.ends_with("_ms")) return "ms";
  if (key.ends_with("_mb")) return "MB";
  return "";
}

}  // namespace

Report::Report(Format format, std::string filter, std::ostream& out)
    : format_(format), filter_(std::move(filter)), out_(out) {}

bool Report::wants(const std::string& key) const { return key.find(filter_) != std::string::npos; }

void Report::add(const std::string& key, double value) {
  entries_.emplace_back(key, value);
  if (key == "fma_peak_gflops") peak_gflops_ = value;
  if (format_ != Format::Text) return;
  // Counts (threads) have no unit and no decimals.
  const char* unit = unit_of(key);
  char line[160];
  std::snprintf(line, sizeof line, "%-28s %10.*f %-8s", key.c_str(), *unit ? 2 : 0, value, unit);
  std::string text = line;
  if (key.starts_with("conv") && peak_gflops_ > 0) {
    std::snprintf(line, sizeof line, " %5.1f%% of peak", 100.0 * value / peak_gflops_);
    text += line;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  out_ << text << std::endl;
}

void Report::finish() const {
  if (format_ != Format::Json) return;
  out_ << "{";
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& [key, value] = entries_[i];
    char number[32] = "null";  // JSON has no inf or nan
    if (std::isfinite(value)) std::snprintf(number, sizeof number, "%.6g", value);
    out_ << (i ? ",\n" : "\n") << " \"" << key << "\": " << number;
  }
  out_ << "\n}" << std::endl;
}

}  // namespace attrax::bench
