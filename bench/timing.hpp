#pragma once
// Wall-clock timing shared by the benchmarks, as torch_ref.py's median_time.
#include <algorithm>
#include <chrono>
#include <vector>

namespace attrax::bench {

// Runs fn `warm` times untimed, then `reps` times timed; returns the durations in seconds, sorted
// from fastest to slowest.
template <class F>
std::vector<double> sorted_seconds(F&& fn, int reps, int warm) {
  for (int i = 0; i < warm; ++i) fn();
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times;
}

// The median of sorted times: the upper median for an even count, as sorted(ts)[len(ts) // 2].
inline double median_of(const std::vector<double>& sorted) { return sorted[sorted.size() / 2]; }

// Runs fn `warm` times untimed, then `reps` times timed; returns the median duration in seconds.
template <class F>
double median_seconds(F&& fn, int reps = 5, int warm = 2) {
  return median_of(sorted_seconds(fn, reps, warm));
}

}  // namespace attrax::bench
