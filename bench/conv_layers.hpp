#pragma once
// The six 3x3 convolutions of ResNet-8/20 on 28x28 inputs (padding 1, no bias, batch 128), as
// torch_ref.py measures them.
#include "bench/report.hpp"

namespace attrax::bench {

// For each layer (cin, cout, hw, stride), with P = Q = (hw - 1) / stride + 1 and one pass costing
//   FLOPs = 2 · N · Cin · Cout · 9 · P · Q,
// records FLOPs / median time in GFLOP/s of the forward pass (no tape), the input gradient and the
// weight gradient, as conv{cin}x{cout}_{hw}s{stride}_{fwd,dgrad,wgrad}_gflops.
void run_conv_layers(Report& report);

}  // namespace attrax::bench
