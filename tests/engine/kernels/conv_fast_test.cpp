// The fast convolution kernels against their reference twins over a grid of geometries (odd sizes,
// tile tails, strides, padding, dilation, groups, batch 1, 1 to 128 channels), and bit-identical
// results for 1 and 2 threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "engine/attrax.hpp"
#include "engine/kernels/fast/conv.hpp"
#include "engine/kernels/fast/conv_input_grad_s2.hpp"
#include "engine/kernels/fast/conv_pointwise.hpp"
#include "engine/kernels/fast/conv_winograd_rows.hpp"
#include "engine/kernels/fast/tile_gemm.hpp"
#include "engine/kernels/reference/conv.hpp"
#include "engine/kernels/threading.hpp"

using namespace attrax;
using kernels::ConvGeometry;

namespace {

struct Case {
  std::int64_t N, C, H, W, K, R, S, stride, pad, dil, groups;
};

ConvGeometry geometry(const Case& c) {
  const std::int64_t P = (c.H + 2 * c.pad - c.dil * (c.R - 1) - 1) / c.stride + 1;
  const std::int64_t Q = (c.W + 2 * c.pad - c.dil * (c.S - 1) - 1) / c.stride + 1;
  return {c.N, c.C, c.H, c.W, c.K, c.R, c.S, P, Q, c.stride, c.stride, c.pad, c.pad, c.dil, c.dil, c.groups};
}

std::vector<float> random_values(std::int64_t n, std::uint64_t stream) {
  std::vector<float> v(static_cast<std::size_t>(n));
  Generator gen(99, stream);
  gen.fill_normal(v.data(), n);
  return v;
}

// max |a - b| / (1 + max |b|)
double relative_gap(const std::vector<float>& a, const std::vector<float>& b) {
  double gap = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    gap = std::max(gap, double(std::abs(a[i] - b[i])));
    scale = std::max(scale, double(std::abs(b[i])));
  }
  return gap / (1 + scale);
}

std::string describe(const Case& c) {
  std::ostringstream os;
  os << "N=" << c.N << " C=" << c.C << " " << c.H << "x" << c.W << " K=" << c.K << " kernel " << c.R << "x"
     << c.S << " stride " << c.stride << " pad " << c.pad << " dil " << c.dil << " groups " << c.groups;
  return os.str();
}

void check_case(const Case& c) {
  const ConvGeometry g = geometry(c);
  const std::int64_t xs = g.N * g.C * g.H * g.W, ws = g.K * (g.C / g.groups) * g.R * g.S, ys = g.N * g.K * g.P * g.Q;
  const auto x = random_values(xs, 1), w = random_values(ws, 2), dy = random_values(ys, 3);
  const auto bias = random_values(g.K, 4);
  std::vector<float> fast(std::size_t(std::max({xs, ws, ys}))), ref(fast.size());

  kernels::fast::conv2d_forward(g, x.data(), w.data(), nullptr, fast.data());
  kernels::reference::conv2d_forward<float>(g, x.data(), w.data(), nullptr, ref.data());
  fast.resize(std::size_t(ys)); ref.resize(std::size_t(ys));
  CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "forward, " << describe(c));
  kernels::fast::conv2d_forward(g, x.data(), w.data(), bias.data(), fast.data());
  kernels::reference::conv2d_forward(g, x.data(), w.data(), bias.data(), ref.data());
  CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "forward with bias, " << describe(c));

  // the fast kernels overwrite their output: start them from values they must not keep
  fast.assign(std::size_t(xs), 7.f); ref.assign(std::size_t(xs), 0.f);
  kernels::fast::conv2d_input_grad(g, dy.data(), w.data(), fast.data());
  kernels::reference::conv2d_input_grad(g, dy.data(), w.data(), ref.data());
  CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "input gradient, " << describe(c));

  fast.assign(std::size_t(ws), 7.f); ref.assign(std::size_t(ws), 0.f);
  kernels::fast::conv2d_weight_grad(g, x.data(), dy.data(), fast.data());
  kernels::reference::conv2d_weight_grad(g, x.data(), dy.data(), ref.data());
  CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "weight gradient, " << describe(c));
}

}  // namespace

TEST_CASE("fast conv kernels match the reference on ResNet shapes") {
  // (cin, cout, size, stride) of ResNet-8/20 at 28x28, at batch 2.
  for (const Case& c : {Case{2, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1}, Case{2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1},
                       Case{2, 16, 28, 28, 32, 3, 3, 2, 1, 1, 1}, Case{2, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1},
                       Case{2, 32, 14, 14, 64, 3, 3, 2, 1, 1, 1}, Case{2, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1},
                       Case{2, 16, 28, 28, 32, 1, 1, 2, 0, 1, 1}, Case{1, 64, 7, 7, 128, 1, 1, 1, 0, 1, 1}})
    check_case(c);
}

TEST_CASE("the weight gradient joins the images of small planes into one sum") {
  // Outputs of 9 to 49 positions join four or eight images per GEMM; eleven images make blocks of 8
  // and 3, so each block's last GEMM joins fewer; padding 0 reads x in place.
  for (std::int64_t pad : {0, 1}) {
    check_case({11, 8, 7, 7, 16, 3, 3, 1, pad, 1, 1});
    check_case({11, 6, 5, 5, 4, 3, 3, 1, pad, 1, 2});
  }
}

TEST_CASE("both micro-tile shapes: channels around one and two SIMD vectors") {
  // At most one vector of channels runs on narrow tiles (12 positions or taps x 1 vector), more on
  // wide ones (6 x 2 vectors); 13x11 and 7x5 outputs leave partial tiles of both heights.
  using kernels::fast::kVec;
  for (std::int64_t channels : {kVec - 1, kVec, kVec + 1, 2 * kVec, 2 * kVec + 3})
    for (std::int64_t stride : {1, 2}) {
      check_case({2, channels, 13, 11, channels, 3, 3, stride, 1, 1, 1});
      check_case({3, 5, 13, 11, channels, 3, 3, stride, 1, 1, 1});
      check_case({3, channels, 13, 11, 7, 3, 3, stride, 0, 1, 1});
    }
}

TEST_CASE("pointwise convolutions: channel tiles and position chunks with tails, strides 1 to 3") {
  // 13 and 7 channels leave partial tiles of six rows; 9x7 and 5x11 outputs partial chunks of
  // positions; strides 2 and 3 skip input positions, whose gradient must be zero.
  for (std::int64_t stride : {1, 2, 3}) {
    check_case({2, 13, 9, 7, 7, 1, 1, stride, 0, 1, 1});
    check_case({3, 7, 5, 11, 13, 1, 1, stride, 0, 1, 1});
    check_case({1, 40, 17, 17, 70, 1, 1, stride, 0, 1, 1});
  }
  // conv2d_forward takes the pointwise kernel at stride 1 only; called directly at every stride,
  // with a bias and a scale: y = conv2d(x, scale[k] w[k]) + bias
  for (std::int64_t stride : {1, 2, 3}) {
    const ConvGeometry g = geometry({3, 7, 5, 11, 13, 1, 1, stride, 0, 1, 1});
    const std::int64_t ys = g.N * g.K * g.P * g.Q;
    const auto x = random_values(g.N * g.C * g.H * g.W, 1), w = random_values(g.K * g.C, 2);
    const auto bias = random_values(g.K, 3), scale = random_values(g.K, 4);
    std::vector<float> scaled(w.size()), fast(static_cast<std::size_t>(ys), 7.f), ref(static_cast<std::size_t>(ys));
    for (std::size_t i = 0; i < w.size(); ++i) scaled[i] = w[i] * scale[i / std::size_t(g.C)];
    kernels::fast::pointwise_forward(g, x.data(), w.data(), bias.data(), scale.data(), fast.data());
    kernels::reference::conv2d_forward(g, x.data(), scaled.data(), bias.data(), ref.data());
    CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "pointwise forward, stride " << stride);
  }
}

TEST_CASE("the stride-2 3x3 input gradient: both row parities, odd and even planes, channel tails") {
  // Called directly, whether or not conv2d_input_grad would choose it for the shape: planes from 1x1
  // to wider than two vectors of dy columns, odd sizes (one more even row or column than odd),
  // 1 to 7 dx channels (partial channel blocks), batch 1.
  for (std::int64_t height : {1, 2, 5, 14, 27})
    for (std::int64_t width : {1, 3, 8, 14, 28, 29, 70})
      for (const Case& c : {Case{2, 5, height, width, 3, 3, 3, 2, 1, 1, 1}, Case{1, 7, height, width, 16, 3, 3, 2, 1, 1, 1},
                            Case{3, 1, height, width, 2, 3, 3, 2, 1, 1, 1}}) {
        const ConvGeometry g = geometry(c);
        const std::int64_t xs = g.N * g.C * g.H * g.W;
        const auto w = random_values(g.K * g.C * 9, 2), dy = random_values(g.N * g.K * g.P * g.Q, 3);
        std::vector<float> fast(static_cast<std::size_t>(xs), 7.f), ref(static_cast<std::size_t>(xs));
        kernels::fast::input_grad_s2(g, dy.data(), w.data(), fast.data());
        kernels::reference::conv2d_input_grad(g, dy.data(), w.data(), ref.data());
        CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "stride-2 input gradient, " << describe(c));
      }
  // conv2d_input_grad takes it for ResNet's 28x28 -> 14x14 layer (the shape check_case covers above)
  CHECK(kernels::fast::input_grad_s2_applies(geometry({2, 16, 28, 28, 32, 3, 3, 2, 1, 1, 1})));
  CHECK_FALSE(kernels::fast::input_grad_s2_applies(geometry({2, 16, 28, 28, 32, 3, 3, 2, 1, 1, 2})));
  CHECK_FALSE(kernels::fast::input_grad_s2_applies(geometry({2, 16, 28, 28, 32, 3, 3, 1, 1, 1, 1})));
}

TEST_CASE("GEMMs in tiles of seven positions: whole rows, tails and groups") {
  // With more than one vector of channels, GEMMs whose positions waste fewer rows in tiles of seven
  // run them (AVX-512, AArch64). Input gradients: 14x14 and 14x13 planes give 7x7 stride-2 phases
  // (each tile one phase row, positions two apart) and 7x6 ones (tiles across phase rows), with 3x3
  // and 5x5 kernels, groups, channel tails past two vectors, dy depth from 3 to 40 channels.
  // Forward: 7x7 outputs (3x3 and 1x1 kernels at stride 2) and 5x5 ones (a tail of four).
  using kernels::fast::kVec;
  for (std::int64_t channels : {kVec + 1, 2 * kVec, 2 * kVec + 3}) {
    for (std::int64_t width : {14, 13}) {
      check_case({2, channels, 14, width, 40, 3, 3, 2, 1, 1, 1});
      check_case({3, channels, 14, width, 3, 5, 5, 2, 2, 1, 1});
      check_case({2, 2 * channels, 14, width, 6, 3, 3, 2, 1, 1, 2});
    }
    check_case({2, 5, 14, 14, channels, 3, 3, 2, 1, 1, 1});
    check_case({2, 9, 14, 14, channels, 1, 1, 2, 0, 1, 1});
    check_case({3, 6, 10, 10, channels, 3, 3, 2, 1, 1, 1});
  }
}

TEST_CASE("the Winograd F(4,3) row kernels: tile-row tails, narrow and wide rows, channel blocks, batches") {
  // Called directly, whether or not the dispatch would choose it for the shape: heights leaving 1 to
  // 4 rows in the last tile of four, rows narrower than a vector (masked loads) and wider than two
  // (the last vector moved left), 1 to 17 outputs (partial blocks of four, partial micro-tiles in
  // the weight gradient), batch 1 to 11 (the weight gradient's blocks of 8 images, and joined
  // images in its GEMMs). The forward pass carries a scale and a bias; the input gradient reads
  // the kernel flipped.
  for (std::int64_t height : {1, 3, 4, 5, 8, 11})
    for (std::int64_t width : {1, 5, 8, 16, 17, 35})
      for (const Case& c : {Case{1, 8, height, width, 5, 3, 3, 1, 1, 1, 1}, Case{3, 3, height, width, 9, 3, 3, 1, 1, 1, 1},
                            Case{2, 1, height, width, 1, 3, 3, 1, 1, 1, 1}, Case{11, 5, height, width, 17, 3, 3, 1, 1, 1, 1}}) {
        const ConvGeometry g = geometry(c);
        const std::int64_t xs = g.N * g.C * g.H * g.W, ys = g.N * g.K * g.H * g.W;
        const auto x = random_values(xs, 1), w = random_values(g.K * g.C * 9, 2), dy = random_values(ys, 3);
        const auto bias = random_values(g.K, 4), scale = random_values(g.K, 5);
        // the reference with the scale applied to the weights: w'[k] = scale[k] w[k]
        std::vector<float> scaled = w;
        for (std::size_t i = 0; i < scaled.size(); ++i) scaled[i] *= scale[i / std::size_t(g.C * 9)];
        std::vector<float> fast(static_cast<std::size_t>(ys), 7.f), ref(static_cast<std::size_t>(ys));
        kernels::fast::row_winograd_3x3({.N = g.N, .inputs = g.C, .outputs = g.K, .H = g.H, .W = g.W,
                                         .weights = w.data(), .scale = scale.data(), .bias = bias.data()},
                                        x.data(), fast.data());
        kernels::reference::conv2d_forward(g, x.data(), scaled.data(), bias.data(), ref.data());
        CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "Winograd forward, " << describe(c));

        fast.assign(static_cast<std::size_t>(xs), 7.f);
        ref.assign(static_cast<std::size_t>(xs), 0.f);
        kernels::fast::row_winograd_3x3({.N = g.N, .inputs = g.K, .outputs = g.C, .H = g.H, .W = g.W,
                                         .weights = w.data(), .flipped = true},
                                        dy.data(), fast.data());
        kernels::reference::conv2d_input_grad(g, dy.data(), w.data(), ref.data());
        CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "Winograd input gradient, " << describe(c));

        fast.assign(w.size(), 7.f);
        ref.assign(w.size(), 0.f);
        kernels::fast::row_winograd_weight_grad(g, x.data(), dy.data(), fast.data());
        kernels::reference::conv2d_weight_grad(g, x.data(), dy.data(), ref.data());
        CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "Winograd weight gradient, " << describe(c));
      }
  // Small planes in batches of 16 or more join eight images per group (17: a last group of one).
  for (std::int64_t size : {5, 7})
    for (const Case& c : {Case{17, 8, size, size, 9, 3, 3, 1, 1, 1, 1}, Case{32, 16, size, size, 8, 3, 3, 1, 1, 1, 1}}) {
      const ConvGeometry g = geometry(c);
      const std::int64_t xs = g.N * g.C * g.H * g.W, ys = g.N * g.K * g.H * g.W;
      const auto x = random_values(xs, 1), w = random_values(g.K * g.C * 9, 2), dy = random_values(ys, 3);
      std::vector<float> fast(static_cast<std::size_t>(ys), 7.f), ref(static_cast<std::size_t>(ys));
      kernels::fast::row_winograd_3x3({.N = g.N, .inputs = g.C, .outputs = g.K, .H = g.H, .W = g.W,
                                       .weights = w.data()}, x.data(), fast.data());
      kernels::reference::conv2d_forward<float>(g, x.data(), w.data(), nullptr, ref.data());
      CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "grouped Winograd forward, " << describe(c));
      fast.assign(static_cast<std::size_t>(xs), 7.f);
      ref.assign(static_cast<std::size_t>(xs), 0.f);
      kernels::fast::row_winograd_3x3({.N = g.N, .inputs = g.K, .outputs = g.C, .H = g.H, .W = g.W,
                                       .weights = w.data(), .flipped = true}, dy.data(), fast.data());
      kernels::reference::conv2d_input_grad(g, dy.data(), w.data(), ref.data());
      CHECK_MESSAGE(relative_gap(fast, ref) < 1e-5, "grouped Winograd input gradient, " << describe(c));
    }
  // The dispatch takes them for ResNet's stride-1 layers at 28x28 and 14x14 (the shapes check_case
  // covers above), and at 7x7 in batches of 16 or more (eight images per group; the weight gradient
  // keeps the direct GEMMs there), not for one 7x7 image where padding columns would fill most of
  // the lanes, nor for few channels, groups or strides.
  CHECK(kernels::fast::row_winograd_applies(geometry({2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1})));
  CHECK(kernels::fast::row_winograd_applies(geometry({2, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1})));
  CHECK(kernels::fast::row_winograd_weight_grad_applies(geometry({2, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1})));
  CHECK(kernels::fast::row_winograd_applies(geometry({16, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1})));
  CHECK_FALSE(kernels::fast::row_winograd_weight_grad_applies(geometry({16, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1})));
  CHECK_FALSE(kernels::fast::row_winograd_applies(geometry({15, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1})));
  CHECK_FALSE(kernels::fast::row_winograd_applies(geometry({2, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1})));
  CHECK_FALSE(kernels::fast::row_winograd_applies(geometry({2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 2})));
  CHECK_FALSE(kernels::fast::row_winograd_applies(geometry({2, 16, 28, 28, 16, 3, 3, 2, 1, 1, 1})));
}

TEST_CASE("fast conv kernels match the reference on odd geometries") {
  for (std::int64_t stride : {1, 2, 3})
    for (std::int64_t pad : {0, 1, 2})
      for (std::int64_t dil : {1, 2})
        for (std::int64_t groups : {1, 3}) {
          check_case({1, 3 * groups, 9, 7, 5 * groups, 3, 2, stride, pad, dil, groups});
          check_case({3, 6, 5, 11, 17 * groups, 2, 3, stride, pad, dil, groups});
        }
  check_case({2, 8, 6, 6, 8, 3, 3, 1, 1, 1, 8});  // depthwise
  check_case({1, 2, 4, 4, 33, 5, 5, 1, 2, 1, 1});  // kernel as large as the padded input allows
}

TEST_CASE("the direct 3x3 stem kernels match the reference at every edge and row tail") {
  // Few input channels, 3x3, stride 1, padding 1: the forward pass on the padded image, the input
  // gradient reading dy without a padded copy. Widths put both edges of a row in one vector (AVX2:
  // 8, NEON and the sanitizer build's SSE: 4), in two, and around the shifted last vector (narrower
  // planes take the general direct kernel); heights leave 1 to 3 rows in the last tile of four.
  for (std::int64_t width : {4, 5, 8, 9, 15, 16, 17, 28})
    for (std::int64_t height : {1, 2, 3, 5, 6, 7}) {
      check_case({2, 1, height, width, 16, 3, 3, 1, 1, 1, 1});  // the MNIST stem
      check_case({1, 3, height, width, 6, 3, 3, 1, 1, 1, 1});   // an RGB stem
    }
  check_case({1, 4, 10, 12, 8, 3, 3, 1, 1, 1, 2});  // two groups of 2 inputs and 4 outputs
  // With 32 vector registers, layers with up to one vector of outputs per group (a multiple of four)
  // run on the same kernel, four output planes per tile, forward and input gradient.
  check_case({2, 16, 7, 17, 16, 3, 3, 1, 1, 1, 1});
  check_case({3, 16, 9, 16, 8, 3, 3, 1, 1, 1, 1});
  check_case({1, 32, 5, 33, 32, 3, 3, 1, 1, 1, 2});
}

TEST_CASE("fast conv kernels give identical results for 1 and 2 threads") {
  // Batches of 3 share each image among the threads, 80 (or 4) give whole images to each: a GEMM
  // geometry (stride 2), a layer of 16 channels (Winograd, then 4 images of it), the stem (the
  // in-place direct kernel), 7x7 planes in 3 or 4 groups of 8 images (shared, then whole groups,
  // Winograd), each enough work for
  // two threads (worth_threads); a stride-2 1x1 shortcut and a 28x28 stem over 10 and 16 whole images,
  // which are enough only because each thread takes whole images (2.3 and 3.2 million FLOPs); and
  // small planes over two blocks of images (the weight gradient's joined sums, which always split
  // blocks among the threads).
  for (const Case& c : {Case{3, 32, 28, 28, 32, 3, 3, 2, 1, 1, 1}, Case{3, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1},
                        Case{80, 1, 13, 28, 16, 3, 3, 1, 1, 1, 1}, Case{10, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1},
                        Case{16, 16, 28, 28, 32, 1, 1, 2, 0, 1, 1}, Case{11, 8, 7, 7, 16, 3, 3, 1, 1, 1, 1},
                        Case{4, 16, 14, 14, 8, 3, 3, 1, 1, 1, 1}, Case{24, 16, 7, 7, 16, 3, 3, 1, 1, 1, 1},
                        Case{32, 16, 7, 7, 16, 3, 3, 1, 1, 1, 1}}) {
    const ConvGeometry g = geometry(c);
    const std::int64_t xs = g.N * g.C * g.H * g.W, ws = g.K * g.C * 9, ys = g.N * g.K * g.P * g.Q;
    const auto x = random_values(xs, 4), w = random_values(ws, 5), dy = random_values(ys, 6);
    std::vector<float> y1(static_cast<std::size_t>(ys)), dx1(static_cast<std::size_t>(xs)),
        dw1(static_cast<std::size_t>(ws));
    std::vector<float> y2 = y1, dx2 = dx1, dw2 = dw1;
    const int before = kernels::max_threads();
    kernels::set_threads(1);
    kernels::fast::conv2d_forward(g, x.data(), w.data(), nullptr, y1.data());
    kernels::fast::conv2d_input_grad(g, dy.data(), w.data(), dx1.data());
    kernels::fast::conv2d_weight_grad(g, x.data(), dy.data(), dw1.data());
    kernels::set_threads(2);
    kernels::fast::conv2d_forward(g, x.data(), w.data(), nullptr, y2.data());
    kernels::fast::conv2d_input_grad(g, dy.data(), w.data(), dx2.data());
    kernels::fast::conv2d_weight_grad(g, x.data(), dy.data(), dw2.data());
    kernels::set_threads(before);
    CHECK_MESSAGE(y1 == y2, describe(c));
    CHECK_MESSAGE(dx1 == dx2, describe(c));
    CHECK_MESSAGE(dw1 == dw2, describe(c));
  }
}
