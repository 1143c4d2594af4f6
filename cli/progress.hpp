#pragma once
// The live progress line of long commands: rewritten in place (carriage return) on a terminal, and
// printed about ten times per epoch otherwise, so logs stay short.
#include <chrono>
#include <cstdio>
#include <string>

#include "models/training.hpp"

namespace attrax::cli {

class ProgressLine {
 public:
  // total_steps: the whole run's updates, counting those done before a resume.
  ProgressLine(std::int64_t epochs, std::int64_t total_steps);
  void update(const models::StepReport& step);
  // Ends the line of an epoch and prints the epoch summary.
  void finish_epoch(const models::EpochReport& epoch);

 private:
  std::int64_t epochs_, total_steps_, steps_this_run_ = 0;
  std::chrono::steady_clock::time_point start_;
  bool terminal_;
};

// "2m13s", "45s", "1h02m"
std::string format_duration(double seconds);

}  // namespace attrax::cli
