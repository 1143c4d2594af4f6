// `attrax bench`: option parsing, then the workloads in torch_ref.py's order, the peak first.
#include "cli/bench_command.hpp"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>

#include "bench/conv_layers.hpp"
#include "bench/end_to_end.hpp"
#include "bench/fma_peak.hpp"
#include "bench/report.hpp"
#include "cli/options.hpp"
#include "engine/kernels/threading.hpp"

namespace attrax::cli {

namespace {

// An upper bound on --reps: a conv pass takes milliseconds, so 1000 runs of each of the 18 passes
// already take minutes.
constexpr std::int64_t kMaxReps = 1000;

// --reps N (1..kMaxReps, default 5) and --fastest.
bench::ConvTiming conv_timing(const ParsedOptions& options) {
  const std::int64_t reps = options.integer("--reps", 5, 1);
  if (reps > kMaxReps)
    throw UsageError("--reps expects at most " + std::to_string(kMaxReps) + ", got " +
                     std::to_string(reps));
  return {.reps = int(reps), .fastest = options.has("--fastest")};
}

}  // namespace

int run_bench(int argc, char** argv) {
  // torch_ref.py's default of 2 threads, unless the machine has fewer cores.
  kernels::set_threads(int(std::clamp(std::thread::hardware_concurrency(), 1u, 2u)));
  const ParsedOptions options(argc, argv, {"--threads", "--filter", "--reps"},
                              {"--json", "--fastest"});
  apply_threads(options);
  const bench::ConvTiming timing = conv_timing(options);
  const bench::Format format = options.has("--json") ? bench::Format::Json : bench::Format::Text;
  const std::string filter = options.text("--filter", "");

  bench::Report report(format, filter, std::cout);
  report.add("threads", kernels::max_threads());
  report.add("fma_peak_gflops", bench::fma_peak_gflops());
  bench::run_conv_layers(report, timing);
  bench::run_end_to_end(report);
  report.finish();
  return 0;
}

}  // namespace attrax::cli
