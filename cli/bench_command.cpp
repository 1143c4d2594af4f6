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

constexpr std::int64_t kMaxThreads = 1024;

}  // namespace

int run_bench(int argc, char** argv) {
  // torch_ref.py's default of 2 threads, unless the machine has fewer cores.
  int threads = int(std::clamp(std::thread::hardware_concurrency(), 1u, 2u));
  bench::Format format = bench::Format::Text;
  std::string filter;
  for (int i = 0; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--threads" && i + 1 < argc) {
      const std::int64_t requested = parse_positive(flag, argv[++i]);
      if (requested > kMaxThreads)
        throw UsageError("--threads expects at most " + std::to_string(kMaxThreads) + ", got " +
                         argv[i]);
      threads = int(requested);
    } else if (flag == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else if (flag == "--json") {
      format = bench::Format::Json;
    } else {
      throw UsageError("unknown or incomplete option '" + flag +
                       "' (options: --threads N, --json, --filter S)");
    }
  }
  kernels::set_threads(threads);

  bench::Report report(format, filter, std::cout);
  report.add("threads", kernels::max_threads());
  report.add("fma_peak_gflops", bench::fma_peak_gflops());
  bench::run_conv_layers(report);
  bench::run_end_to_end(report);
  report.finish();
  return 0;
}

}  // namespace attrax::cli
