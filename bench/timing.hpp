#pragma once
// Wall-clock timing shared by the benchmarks, as torch_ref.py's median_time.
#include <algorithm>
#include <chrono>
#include <vector>

namespace attrax::bench {

// Runs fn `warm` times untimed, then `reps` times timed; returns the median duration in seconds
// (the upper median for even reps, as sorted(ts)[len(ts) // 2]).
template <class F>
double median_seconds(F&& fn, int reps = 5, int warm = 2) {
  for (int i = 0; i < warm; ++i) fn();
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace attrax::bench
