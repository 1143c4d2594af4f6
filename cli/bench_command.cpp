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

int run_bench(int argc, char** argv) {
  // torch_ref.py's default of 2 threads, unless the machine has fewer cores.
  kernels::set_threads(int(std::clamp(std::thread::hardware_concurrency(), 1u, 2u)));
  const ParsedOptions options(argc, argv, {"--threads", "--filter"}, {"--json"});
  apply_threads(options);
  const bench::Format format = options.has("--json") ? bench::Format::Json : bench::Format::Text;
  const std::string filter = options.text("--filter", "");

  bench::Report report(format, filter, std::cout);
  report.add("threads", kernels::max_threads());
  report.add("fma_peak_gflops", bench::fma_peak_gflops());
  bench::run_conv_layers(report);
  bench::run_end_to_end(report);
  report.finish();
  return 0;
}

}  // namespace attrax::cli
