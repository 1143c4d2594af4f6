#pragma once
// The six 3x3 convolutions of ResNet-8/20 on 28x28 inputs (padding 1, no bias, batch 128), as
// torch_ref.py measures them.
#include "bench/report.hpp"

namespace attrax::bench {

// How each conv pass is timed: `reps` timed runs after two untimed ones, reported by their median
// (torch_ref.py's figure) or, with `fastest`, by the fastest run, the one least slowed by other
// processes (for A/B comparisons of kernels; it cannot undo load that lasts the whole run).
struct ConvTiming {
  int reps = 5;
  bool fastest = false;
};

// For each layer (cin, cout, hw, stride), with P = Q = (hw - 1) / stride + 1 and one pass costing
//   FLOPs = 2 · N · Cin · Cout · 9 · P · Q,
// records FLOPs / time in GFLOP/s of the forward pass (no tape), the input gradient and the weight
// gradient, as conv{cin}x{cout}_{hw}s{stride}_{fwd,dgrad,wgrad}_gflops.
void run_conv_layers(Report& report, const ConvTiming& timing);

}  // namespace attrax::bench
