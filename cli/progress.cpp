#include "cli/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace attrax::cli {

ProgressLine::ProgressLine(std::int64_t epochs, std::int64_t total_steps)
    : epochs_(epochs),
      total_steps_(total_steps),
      start_(std::chrono::steady_clock::now()),
      terminal_(isatty(fileno(stderr)) != 0) {}

std::string format_duration(double seconds) {
  const auto s = std::int64_t(std::llround(std::max(seconds, 0.0)));
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  else
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(s));
  return text;
}

void ProgressLine::update(const models::StepReport& r) {
  ++steps_this_run_;
  const bool last = r.step + 1 == r.steps_per_epoch;
  const std::int64_t every = std::max<std::int64_t>(1, r.steps_per_epoch / 10);
  if (!terminal_ && (r.step + 1) % every != 0 && !last) return;
  // ETA = updates left × mean seconds per update of this process so far.
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::int64_t done = r.epoch * r.steps_per_epoch + r.step + 1;
  const double eta = elapsed / double(steps_this_run_) * double(total_steps_ - done);
  std::fprintf(stderr, "%sepoch %lld/%lld  step %lld/%lld  loss %.4f  acc %.2f%%  %.0f img/s  "
               "lr %.4g  ETA %s%s",
               terminal_ ? "\r" : "", static_cast<long long>(r.epoch + 1),
               static_cast<long long>(epochs_), static_cast<long long>(r.step + 1),
               static_cast<long long>(r.steps_per_epoch), r.loss, 100.0 * r.accuracy,
               r.images_per_second, r.lr, format_duration(eta).c_str(),
               terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
}

void ProgressLine::finish_epoch(const models::EpochReport& epoch) {
  std::fprintf(stderr, "%sepoch %lld/%lld done: loss %.4f, train accuracy %.2f%%, %s\n",
               terminal_ ? "\n" : "", static_cast<long long>(epoch.epoch + 1),
               static_cast<long long>(epochs_), epoch.loss, 100.0 * epoch.accuracy,
               format_duration(epoch.seconds).c_str());
}

}  // namespace attrax::cli
