#pragma once

namespace attrax::cli {

// `attrax bench [--threads N] [--json] [--filter S]`: the FMA peak, the conv layers of ResNet-8/20
// and the end-to-end workloads of ../shared/bench/torch_ref.py, under the same keys. Returns the
// process exit code; throws UsageError on a bad option.
int run_bench(int argc, char** argv);

}  // namespace attrax::cli
