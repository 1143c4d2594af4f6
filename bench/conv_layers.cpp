#include "bench/conv_layers.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/timing.hpp"
#include "engine/attrax.hpp"

namespace attrax::bench {

namespace {

struct ConvLayer {
  std::int64_t cin, cout, hw, stride;
};

// The stem, then two convolutions per stage and the strided ones that enter stages 2 and 3.
constexpr ConvLayer kLayers[] = {{1, 16, 28, 1},  {16, 16, 28, 1}, {16, 32, 28, 2},
                                 {32, 32, 14, 1}, {32, 64, 14, 2}, {64, 64, 7, 1}};
constexpr std::int64_t kBatch = 128;
constexpr int kWarm = 2;

// Seconds of one pass: the median or the fastest of timing.reps runs.
template <class F>
double pass_seconds(F&& pass, const ConvTiming& timing) {
  const std::vector<double> times = sorted_seconds(pass, timing.reps, kWarm);
  return timing.fastest ? times.front() : median_of(times);
}

}  // namespace

void run_conv_layers(Report& report, const ConvTiming& timing) {
  Generator gen(/*seed=*/0, /*stream=*/0);
  for (const ConvLayer& layer : kLayers) {
    const std::string key = "conv" + std::to_string(layer.cin) + "x" + std::to_string(layer.cout) +
                            "_" + std::to_string(layer.hw) + "s" + std::to_string(layer.stride);
    const std::string fwd = key + "_fwd_gflops", dgrad = key + "_dgrad_gflops",
                      wgrad = key + "_wgrad_gflops";
    if (!report.wants(fwd) && !report.wants(dgrad) && !report.wants(wgrad)) continue;

    const std::int64_t out = (layer.hw - 1) / layer.stride + 1;
    const double flops = 2.0 * double(kBatch * layer.cin * layer.cout * 9 * out * out);
    // x: [128,Cin,hw,hw], w: [Cout,Cin,3,3] (He-scaled) -> y: [128,Cout,P,Q]
    const Tensor x = Tensor::randn({kBatch, layer.cin, layer.hw, layer.hw}, gen).requires_grad_();
    const double he_scale = std::sqrt(2.0 / double(layer.cin * 9));
    Tensor w = Tensor::randn({layer.cout, layer.cin, 3, 3}, gen) * he_scale;
    w.requires_grad_();
    const Conv2dOptions options{.stride = {layer.stride, layer.stride}, .padding = {1, 1}};
    const auto gflops = [&](auto&& pass) { return flops / pass_seconds(pass, timing) / 1e9; };

    if (report.wants(fwd)) {
      NoGradGuard no_grad;
      report.add(fwd, gflops([&] { conv2d(x, w, Tensor(), options); }));
    }
    // One recorded forward pass; each timed backward pass replays its VJP for dy.
    const Tensor y = conv2d(x, w, Tensor(), options);
    const Tensor dy = Tensor::randn(y.shape(), gen);
    if (report.wants(dgrad))
      report.add(dgrad, gflops([&] { grad({y}, {x}, {dy}, {.retain_graph = true}); }));
    if (report.wants(wgrad))
      report.add(wgrad, gflops([&] { grad({y}, {w}, {dy}, {.retain_graph = true}); }));
  }
}

}  // namespace attrax::bench
