// Convolutions: hand-computed values, PyTorch's output sizes, the adjoint identities tying conv2d,
// conv_transpose2d and conv2d_weight together, gradients of both orders, float32 against float64,
// no recording under NoGradGuard, bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;
using Pair = std::array<std::int64_t, 2>;

namespace {

Conv2dOptions options(Pair stride, Pair padding, Pair dilation, std::int64_t groups) {
  Conv2dOptions o;
  o.stride = stride;
  o.padding = padding;
  o.dilation = dilation;
  o.groups = groups;
  return o;
}

// <a, b> = Σ a ⊙ b
double dot(const Tensor& a, const Tensor& b) { return sum(a * b).item(); }

// PyTorch's conv2d output extent, floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1.
std::int64_t torch_conv_extent(std::int64_t in, std::int64_t k, std::int64_t stride,
                               std::int64_t pad, std::int64_t dil) {
  return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
}

// The output_padding that makes conv_transpose2d restore an extent `in` from conv2d's `out`.
std::int64_t restoring_padding(std::int64_t in, std::int64_t out, std::int64_t k,
                               std::int64_t stride, std::int64_t pad, std::int64_t dil) {
  return in - ((out - 1) * stride - 2 * pad + dil * (k - 1) + 1);
}

void check_close(const Tensor& actual, const Tensor& expected, double tol = 1e-12) {
  REQUIRE(actual.shape() == expected.shape());
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(e[i]).epsilon(tol));
}

// max |actual - expected| / max |expected|
double relative_error(const Tensor& actual, const Tensor& expected) {
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - e[i]));
    scale = std::max(scale, std::abs(e[i]));
  }
  return diff / scale;
}

// <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> = <w, conv2d_weight(x, y)> for random
// x: [N,4,7,5], w: [K,4/groups,R,S], y: [N,K,P,Q], with the output_padding that restores 7 x 5.
void check_adjoints(std::int64_t N, std::int64_t K, Pair kernel, const Conv2dOptions& o,
                    std::uint64_t stream) {
  const std::int64_t C = 4, H = 7, W = 5;
  const auto [R, S] = kernel;
  const auto [sh, sw] = o.stride;
  const auto [ph, pw] = o.padding;
  const auto [dh, dw] = o.dilation;
  const std::int64_t P = torch_conv_extent(H, R, sh, ph, dh), Q = torch_conv_extent(W, S, sw, pw, dw);
  const Tensor x = random_normal({N, C, H, W}, stream), w = random_normal({K, C / o.groups, R, S}, stream + 1);
  const Tensor y = random_normal({N, K, P, Q}, stream + 2);
  const Pair out_pad{restoring_padding(H, P, R, sh, ph, dh), restoring_padding(W, Q, S, sw, pw, dw)};

  const Tensor forward = conv2d(x, w, Tensor(), o);
  REQUIRE(forward.shape() == Shape{N, K, P, Q});
  const Tensor back = conv_transpose2d(y, w, Tensor(), o, out_pad);
  REQUIRE(back.shape() == x.shape());
  const Tensor weight_grad = conv2d_weight(x, y, kernel, o);
  REQUIRE(weight_grad.shape() == w.shape());
  const double lhs = dot(forward, y);
  CHECK(dot(x, back) == doctest::Approx(lhs).epsilon(1e-12));
  CHECK(dot(w, weight_grad) == doctest::Approx(lhs).epsilon(1e-12));
}

// conv_transpose2d(x, w, bias) as a function of its three tensors, for gradcheck.
attrax::testing::TensorFunction transposed(const Conv2dOptions& o, Pair output_padding) {
  return [o, output_padding](const Inputs& in) {
    return conv_transpose2d(in[0], in[1], in[2], o, output_padding);
  };
}

// x[0,0,i,j] = 4 i + j on a 4 x 4 image.
Tensor ramp_4x4() { return Tensor::arange(0, 16, 1, DType::Float64).reshape({1, 1, 4, 4}); }

// A grouped weight [K,C/groups,R,S] written out as the equivalent dense [K,C,R,S] weight, zero
// outside each output channel's group.
Tensor block_diagonal(const Tensor& w, std::int64_t C, std::int64_t groups) {
  const std::int64_t K = w.size(0), Cg = w.size(1), Kg = K / groups;
  Tensor dense = Tensor::zeros({K, C, w.size(2), w.size(3)}, DType::Float64);
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t c = 0; c < Cg; ++c)
      for (std::int64_t r = 0; r < w.size(2); ++r)
        for (std::int64_t s = 0; s < w.size(3); ++s)
          dense.set({k, (k / Kg) * Cg + c, r, s}, w.at({k, c, r, s}));
  return dense;
}

}  // namespace

TEST_CASE("conv2d matches a hand-computed 3x3 example") {
  const Tensor x = ramp_4x4();
  const Tensor w = Tensor::from_data(std::vector<double>{1, 2, 0, 0, 1, 0, 0, 0, -1}, {1, 1, 3, 3});
  // y[p,q] = x[p,q] + 2 x[p,q+1] + x[p+1,q+1] - x[p+2,q+2] = 3 (4p + q) - 3
  const Tensor valid = conv2d(x, w);
  CHECK(valid.shape() == Shape{1, 1, 2, 2});
  CHECK(valid.to_vector() == std::vector<double>{-3, 0, 9, 12});

  // Padding 1 reads zeros outside the image; the bias shifts every output.
  const Tensor bias = Tensor::from_data(std::vector<double>{0.5}, {1});
  const Tensor padded = conv2d(x, w, bias, options({1, 1}, {1, 1}, {1, 1}, 1));
  CHECK(padded.shape() == Shape{1, 1, 4, 4});
  CHECK(padded.at({0, 0, 0, 0}) == doctest::Approx(-5 + 0.5));   // only -x[1,1] lies inside
  CHECK(padded.at({0, 0, 0, 3}) == doctest::Approx(3 + 0.5));    // only x[0,3]
  CHECK(padded.at({0, 0, 3, 0}) == doctest::Approx(16 + 12 + 0.5));  // 2 x[2,0] + x[3,0]
  CHECK(padded.at({0, 0, 3, 3}) == doctest::Approx(10 + 22 + 15 + 0.5));
  CHECK(padded.at({0, 0, 1, 1}) == doctest::Approx(-3 + 0.5));   // the valid y[0,0]
}

TEST_CASE("conv2d matches a hand-computed example with different options per axis") {
  // stride (2, 1), padding (0, 1), dilation (1, 2): y[p,q] = Σ_{r,s} x[2p + r, q - 1 + 2s] w[r,s],
  // P = (4 - 1 - 1) / 2 + 1 = 2, Q = (4 + 2 - 2 - 1) / 1 + 1 = 4.
  const Tensor w = Tensor::from_data(std::vector<double>{1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor y = conv2d(ramp_4x4(), w, Tensor(), options({2, 1}, {0, 1}, {1, 2}, 1));
  CHECK(y.shape() == Shape{1, 1, 2, 4});
  // y[0,0] = 2 x[0,1] + 4 x[1,1];  y[0,1] = x[0,0] + 2 x[0,2] + 3 x[1,0] + 4 x[1,2];
  // y[1,3] = x[2,2] + 3 x[3,2]; each row step adds 8 per tap inside the image.
  CHECK(y.to_vector() == std::vector<double>{22, 40, 50, 20, 70, 120, 130, 52});
}

TEST_CASE("conv2d with a 1x1 kernel is a matmul over channels") {
  const Tensor x = random_normal({2, 3, 4, 5}, 1), w = random_normal({6, 3, 1, 1}, 2), b = random_normal({6}, 3);
  // y[n,k,h,w] = Σ_c w[k,c] x[n,c,h,w] + b[k]
  const Tensor expected = sum(x.reshape({2, 1, 3, 4, 5}) * w.reshape({1, 6, 3, 1, 1}), {2}) +
                          b.reshape({1, 6, 1, 1});
  check_close(conv2d(x, w, b), expected);
}

TEST_CASE("conv2d groups equal a dense conv with a block-diagonal weight") {
  const Tensor x = random_normal({2, 4, 5, 6}, 4);
  SUBCASE("two groups") {
    const Tensor w = random_normal({6, 2, 3, 2}, 5);
    const Conv2dOptions o = options({1, 2}, {1, 0}, {1, 1}, 2);
    Conv2dOptions dense = o;
    dense.groups = 1;
    check_close(conv2d(x, w, Tensor(), o), conv2d(x, block_diagonal(w, 4, 2), Tensor(), dense));
  }
  SUBCASE("depthwise: groups == C == K") {
    const Tensor w = random_normal({4, 1, 3, 3}, 6);
    const Conv2dOptions o = options({1, 1}, {1, 1}, {2, 1}, 4);
    Conv2dOptions dense = o;
    dense.groups = 1;
    const Tensor y = conv2d(x, w, Tensor(), o);
    CHECK(y.shape() == Shape{2, 4, 3, 6});
    check_close(y, conv2d(x, block_diagonal(w, 4, 4), Tensor(), dense));
  }
}

TEST_CASE("conv2d output sizes follow PyTorch's formula with stride, padding and dilation") {
  // All ones: each output counts the kernel taps that land inside the image, times C = 2.
  // Rows (H 6, R 3, stride 2, pad 1, dil 2): p = 0 reads rows -1, 1, 3 (2 inside), p = 1 reads
  // rows 1, 3, 5.
  // Columns (W 5, S 2): q = 0 reads -1, 1; q = 1 reads 1, 3; q = 2 reads 3, 5.
  const Tensor x = Tensor::ones({1, 2, 6, 5}, DType::Float64);
  const Tensor w = Tensor::ones({3, 2, 3, 2}, DType::Float64);
  const Tensor y = conv2d(x, w, Tensor(), options({2, 2}, {1, 1}, {2, 2}, 1));
  CHECK(y.shape() == Shape{1, 3, 2, 3});
  for (std::int64_t k = 0; k < 3; ++k) {
    CHECK(y.at({0, k, 0, 0}) == 4);
    CHECK(y.at({0, k, 0, 1}) == 8);
    CHECK(y.at({0, k, 0, 2}) == 4);
    CHECK(y.at({0, k, 1, 0}) == 6);
    CHECK(y.at({0, k, 1, 1}) == 12);
    CHECK(y.at({0, k, 1, 2}) == 6);
  }
  // Mixed per-axis options: P = (11 + 2 - 4 - 1) / 2 + 1 = 5, Q = (9 + 4 - 1 - 1) / 3 + 1 = 4.
  const Tensor odd = conv2d(Tensor::ones({2, 1, 11, 9}, DType::Float64),
                            Tensor::ones({1, 1, 3, 2}, DType::Float64), Tensor(),
                            options({2, 3}, {1, 2}, {2, 1}, 1));
  CHECK(odd.shape() == Shape{2, 1, 5, 4});
}

TEST_CASE("conv_transpose2d places each input pixel's kernel at stride steps") {
  Tensor x = Tensor::zeros({1, 1, 2, 2}, DType::Float64);
  x.set({0, 0, 1, 1}, 1);
  const Tensor w = Tensor::from_data(std::vector<double>{1, 2, 3, 4, 5, 6}, {1, 1, 2, 3});
  const Tensor bias = Tensor::from_data(std::vector<double>{0.25}, {1});
  // H = (2 - 1) 2 + (2 - 1) + 1 + 1 = 5, W = (2 - 1) 2 + (3 - 1) + 1 + 1 = 6; pixel (1, 1) lands
  // its kernel at rows 2..3, columns 2..4.
  const Tensor y = conv_transpose2d(x, w, bias, options({2, 2}, {0, 0}, {1, 1}, 1), {1, 1});
  CHECK(y.shape() == Shape{1, 1, 5, 6});
  std::vector<double> expected(30, 0.25);
  for (int r = 0; r < 2; ++r)
    for (int s = 0; s < 3; ++s) expected[(2 + r) * 6 + 2 + s] += 1 + 3 * r + s;
  CHECK(y.to_vector() == expected);

  // Output channels come from the weight: [K, C/groups, R, S] with groups 2 gives C = 2 x 3.
  // output_padding 1 may reach the stride when it is below the dilation (as in PyTorch):
  // H = (3 - 1) 1 + 2 (2 - 1) + 1 + 1 = 6.
  const Tensor wide = conv_transpose2d(Tensor::ones({1, 4, 3, 3}, DType::Float64),
                                       Tensor::ones({4, 3, 2, 2}, DType::Float64), Tensor(),
                                       options({1, 1}, {0, 0}, {2, 2}, 2), {1, 0});
  CHECK(wide.shape() == Shape{1, 6, 6, 5});
  CHECK(wide.at({0, 0, 5, 0}) == 0);   // the output_padding row no input reaches
  CHECK(wide.at({0, 0, 2, 2}) == 8);   // 2 input channels x 4 taps
}

TEST_CASE("conv2d_weight sums input windows against the output gradient") {
  const Tensor x = Tensor::arange(0, 9, 1, DType::Float64).reshape({1, 1, 3, 3});
  const Tensor dy = Tensor::from_data(std::vector<double>{1, 2, 0, 0}, {1, 1, 2, 2});
  // dw[r,s] = x[r,s] + 2 x[r,s+1] = 3 (3r + s) + 2
  const Tensor dw = conv2d_weight(x, dy, {2, 2});
  CHECK(dw.shape() == Shape{1, 1, 2, 2});
  CHECK(dw.to_vector() == std::vector<double>{2, 5, 11, 14});
}

TEST_CASE("conv adjoint identities hold over a grid of geometries") {
  std::uint64_t stream = 100;
  int cases = 0;
  for (std::int64_t N : {1, 2})
    for (std::int64_t stride : {1, 2})
      for (std::int64_t pad : {0, 1, 2})
        for (std::int64_t dil : {1, 2})
          for (std::int64_t groups : {1, 2, 4})
            for (Pair kernel : {Pair{3, 2}, Pair{2, 3}, Pair{1, 1}}) {
              CAPTURE(N); CAPTURE(stride); CAPTURE(pad); CAPTURE(dil); CAPTURE(groups);
              CAPTURE(kernel[0]);
              // Each axis gets its own stride, padding and dilation; the restoring output_padding
              // is 1 on one axis in 36 of the cases.
              const Conv2dOptions o =
                  options({stride, 3 - stride}, {pad, 2 - pad}, {dil, 3 - dil}, groups);
              check_adjoints(N, groups == 4 ? 4 : 6, kernel, o, stream);
              stream += 3;
              ++cases;
            }
  CHECK(cases == 216);
}

TEST_CASE("conv_transpose2d with output_padding past the stride is the adjoint of a cropped conv2d") {
  // stride 1, dilation 2, output_padding 1: conv2d of the output has one row more than the input,
  // and the adjoint reads only the first P rows.
  const Conv2dOptions o = options({1, 1}, {0, 0}, {2, 2}, 1);
  const Tensor x = random_normal({1, 2, 3, 3}, 200), w = random_normal({2, 3, 2, 2}, 201);
  const Tensor xt = conv_transpose2d(x, w, Tensor(), o, {1, 0});
  REQUIRE(xt.shape() == Shape{1, 3, 6, 5});
  const Tensor g = random_normal({1, 3, 6, 5}, 202);
  const Tensor full = conv2d(g, w, Tensor(), o);
  REQUIRE(full.shape() == Shape{1, 2, 4, 3});
  double cropped = 0;
  for (std::int64_t k = 0; k < 2; ++k)
    for (std::int64_t p = 0; p < 3; ++p)
      for (std::int64_t q = 0; q < 3; ++q) cropped += x.at({0, k, p, q}) * full.at({0, k, p, q});
  CHECK(dot(xt, g) == doctest::Approx(cropped).epsilon(1e-12));
  check_gradients(transposed(o, {1, 0}), {x, w, random_normal({3}, 203)});
}

TEST_CASE("conv2d gradients of first and second order in x, w and bias") {
  SUBCASE("groups 1") {
    const Conv2dOptions o;
    check_gradients([o](const Inputs& in) { return conv2d(in[0], in[1], in[2], o); },
                      {random_normal({2, 4, 5, 6}, 10), random_normal({3, 4, 3, 3}, 11), random_normal({3}, 12)});
  }
  SUBCASE("groups 1, stride 2, padding 1, dilation 2") {
    const Conv2dOptions o = options({2, 2}, {1, 1}, {2, 2}, 1);
    check_gradients([o](const Inputs& in) { return conv2d(in[0], in[1], in[2], o); },
                      {random_normal({2, 4, 5, 6}, 13), random_normal({3, 4, 3, 3}, 14), random_normal({3}, 15)});
  }
  SUBCASE("groups 2, mixed per-axis options") {
    const Conv2dOptions o = options({2, 1}, {1, 0}, {1, 2}, 2);
    check_gradients([o](const Inputs& in) { return conv2d(in[0], in[1], in[2], o); },
                      {random_normal({2, 4, 5, 6}, 16), random_normal({4, 2, 3, 2}, 17), random_normal({4}, 18)});
  }
}

TEST_CASE("conv_transpose2d gradients of first and second order with stride 2 and output_padding 1") {
  SUBCASE("groups 1") {
    const Conv2dOptions o = options({2, 2}, {1, 1}, {1, 1}, 1);
    check_gradients(transposed(o, {1, 1}),
                      {random_normal({2, 3, 3, 4}, 20), random_normal({3, 2, 3, 3}, 21), random_normal({2}, 22)});
  }
  SUBCASE("groups 2") {
    const Conv2dOptions o = options({2, 2}, {0, 1}, {1, 1}, 2);
    check_gradients(transposed(o, {1, 1}),
                      {random_normal({2, 4, 3, 3}, 23), random_normal({4, 1, 2, 3}, 24), random_normal({2}, 25)});
  }
}

TEST_CASE("conv2d_weight gradients of first and second order in x and dy") {
  SUBCASE("groups 1") {
    const Conv2dOptions o;
    check_gradients([o](const Inputs& in) { return conv2d_weight(in[0], in[1], {3, 3}, o); },
                      {random_normal({2, 4, 5, 6}, 30), random_normal({2, 3, 3, 4}, 31)});
  }
  SUBCASE("groups 2, stride 2, padding 1") {
    // P = (5 + 2 - 3) / 2 + 1 = 3, Q = (6 + 2 - 2) / 2 + 1 = 4
    const Conv2dOptions o = options({2, 2}, {1, 1}, {1, 1}, 2);
    check_gradients([o](const Inputs& in) { return conv2d_weight(in[0], in[1], {3, 2}, o); },
                      {random_normal({2, 4, 5, 6}, 32), random_normal({2, 4, 3, 4}, 33)});
  }
}

TEST_CASE("conv float32 results equal float64 results") {
  const Conv2dOptions o = options({2, 1}, {1, 2}, {1, 2}, 2);
  const Tensor x32 = random_normal({2, 4, 9, 8}, 40).to(DType::Float32);
  const Tensor w32 = random_normal({6, 2, 3, 3}, 41).to(DType::Float32);
  const Tensor b32 = random_normal({6}, 42).to(DType::Float32);
  const Tensor x = x32.to(DType::Float64), w = w32.to(DType::Float64), b = b32.to(DType::Float64);

  const Tensor y32 = conv2d(x32, w32, b32, o), y = conv2d(x, w, b, o);
  CHECK(y32.dtype() == DType::Float32);
  CHECK(relative_error(y32, y) < 1e-5);

  const Tensor dy32 = random_normal(y.shape(), 43).to(DType::Float32), dy = dy32.to(DType::Float64);
  const Pair out_pad{restoring_padding(9, y.size(2), 3, 2, 1, 1),
                     restoring_padding(8, y.size(3), 3, 1, 2, 2)};
  const Tensor back32 = conv_transpose2d(dy32, w32, Tensor(), o, out_pad);
  CHECK(back32.shape() == x.shape());
  CHECK(relative_error(back32, conv_transpose2d(dy, w, Tensor(), o, out_pad)) < 1e-5);
  CHECK(relative_error(conv2d_weight(x32, dy32, {3, 3}, o), conv2d_weight(x, dy, {3, 3}, o)) < 1e-5);
}

TEST_CASE("conv2d records a node only when grad mode is on") {
  Tensor x = random_normal({1, 2, 4, 4}, 50);
  x.requires_grad_();
  const Tensor w = random_normal({3, 2, 3, 3}, 51);
  {
    NoGradGuard guard;
    const Tensor y = conv2d(x, w);
    CHECK(y.grad_fn() == nullptr);
    CHECK_FALSE(y.requires_grad());
  }
  const Tensor y = conv2d(x, w);
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->name == "conv2d");
  // Only x requires grad: its gradient arrives, w (a constant) is not asked for.
  const std::vector<Tensor> g = grad({sum(y)}, {x});
  CHECK(g[0].shape() == x.shape());
}

TEST_CASE("conv bad input names the op and the shapes") {
  using doctest::Contains;
  const Tensor x = Tensor::zeros({2, 3, 8, 8}), w = Tensor::zeros({4, 3, 3, 3});
  const Tensor wt = Tensor::zeros({3, 2, 3, 3});   // conv_transpose2d: 3 in, 2 out channels
  const Conv2dOptions two_groups = options({1, 1}, {0, 0}, {1, 1}, 2);
  SUBCASE("conv2d ranks, channels and groups") {
    CHECK_THROWS_WITH_AS(
        conv2d(Tensor::zeros({3, 8, 8}), w),
        Contains("conv2d: input must have rank 4 [N,C,H,W], got shape [3, 8, 8]"), ShapeError);
    CHECK_THROWS_WITH_AS(
        conv2d(x, Tensor::zeros({4, 27})),
        Contains("conv2d: weight must have rank 4 [K,C/groups,R,S], got shape [4, 27]"), ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 2, 3, 3})),
                         Contains("conv2d: input [2, 3, 8, 8] has 3 channels but weight "
                                  "[4, 2, 3, 3] expects 2 x groups(1) = 2"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(
        conv2d(x, Tensor::zeros({4, 1, 3, 3}), Tensor(), two_groups),
        Contains("conv2d: input [2, 3, 8, 8] has 3 channels, which groups(2) does not divide"),
        ShapeError);
    CHECK_THROWS_WITH_AS(
        conv2d(Tensor::zeros({1, 4, 8, 8}), Tensor::zeros({3, 2, 3, 3}), Tensor(), two_groups),
        Contains("conv2d: weight [3, 2, 3, 3] has 3 output channels, which groups(2) does not "
                 "divide"),
        ShapeError);
    CHECK_THROWS_WITH_AS(
        conv2d(Tensor::zeros({2, 0, 8, 8}), w),
        Contains("conv2d: input [2, 0, 8, 8] [N,C,H,W] has an empty extent on axis 1"), ShapeError);
  }
  SUBCASE("conv2d bias, dtypes and options") {
    CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor::zeros({5})),
                         Contains("conv2d: bias [5] must have shape [4]"), ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor::zeros({4}, DType::Float64)),
                         Contains("conv2d: input [2, 3, 8, 8] (float32) and bias [4] (float64) "
                                  "have different dtypes"),
                         DTypeError);
    CHECK_THROWS_WITH_AS(conv2d(x, w.to(DType::Float64)),
                         Contains("conv2d: input [2, 3, 8, 8] (float32) and weight [4, 3, 3, 3] "
                                  "(float64) have different dtypes"),
                         DTypeError);
    CHECK_THROWS_WITH_AS(
        conv2d(Tensor::zeros({2, 3, 8, 8}, DType::Int64), w),
        Contains("conv2d: input must be float32 or float64, got int64 [2, 3, 8, 8]"), DTypeError);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 3}, DType::Int64)),
                         Contains("conv2d: weight must be float32 or float64, got int64"),
                         DTypeError);
    CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor(), options({0, 1}, {0, 0}, {1, 1}, 1)),
                         Contains("conv2d: stride [0, 1] must be positive"), ValueError);
    CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor(), options({1, 1}, {0, 0}, {1, -1}, 1)),
                         Contains("conv2d: dilation [1, -1] must be positive"), ValueError);
    CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor(), options({1, 1}, {-1, 0}, {1, 1}, 1)),
                         Contains("conv2d: padding [-1, 0] must be non-negative"), ValueError);
    CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor(), options({1, 1}, {0, 0}, {1, 1}, 0)),
                         Contains("conv2d: groups(0) must be positive"), ValueError);
  }
  SUBCASE("conv2d kernel larger than the padded input") {
    const Tensor small = Tensor::zeros({1, 1, 4, 4}), w3 = Tensor::zeros({1, 1, 3, 3});
    CHECK_THROWS_WITH_AS(conv2d(small, Tensor::zeros({1, 1, 5, 5})),
                         Contains("conv2d: kernel 5 x 5 with dilation [1, 1] spans 5 x 5, larger "
                                  "than input [1, 1, 4, 4] with padding [0, 0] (4 x 4)"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(small, w3, Tensor(), options({1, 1}, {1, 1}, {3, 1}, 1)),
                         Contains("conv2d: kernel 3 x 3 with dilation [3, 1] spans 7 x 3"),
                         ShapeError);
    // Exactly fitting is fine: the dilated kernel spans 5 rows of the padded 6.
    CHECK(conv2d(small, w3, Tensor(), options({1, 1}, {1, 1}, {2, 1}, 1)).shape() ==
          Shape{1, 1, 2, 4});
  }
  SUBCASE("conv_transpose2d") {
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, Tensor::zeros({4, 2, 3, 3})),
                         Contains("conv_transpose2d: input [2, 3, 8, 8] has 3 channels but weight "
                                  "[4, 2, 3, 3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, Tensor(), two_groups),
                         Contains("conv_transpose2d: input [2, 3, 8, 8] has 3 channels, which "
                                  "groups(2) does not divide"),
                         ShapeError);
    const Conv2dOptions stride2 = options({2, 2}, {0, 0}, {1, 1}, 1);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, Tensor(), stride2, {2, 0}),
                         Contains("conv_transpose2d: output_padding [2, 0] must be non-negative and "
                                  "smaller than either stride [2, 2] or dilation [1, 1]"),
                         ValueError);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, Tensor(), {}, {0, -1}),
                         Contains("conv_transpose2d: output_padding [0, -1] must be non-negative"),
                         ValueError);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, Tensor::zeros({3})),
                         Contains("conv_transpose2d: bias [3] must have shape [2]"), ShapeError);
    const Tensor one = Tensor::zeros({1, 1, 1, 1});
    CHECK_THROWS_WITH_AS(conv_transpose2d(one, one, Tensor(), options({1, 1}, {1, 1}, {1, 1}, 1)),
                         Contains("conv_transpose2d: input [1, 1, 1, 1] with weight [1, 1, 1, 1], "
                                  "stride [1, 1], padding [1, 1] and dilation [1, 1] gives an "
                                  "empty output -1 x -1"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt.to(DType::Float64)),
                         Contains("conv_transpose2d: input [2, 3, 8, 8] (float32) and weight"),
                         DTypeError);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, Tensor(), options({1, 0}, {0, 0}, {1, 1}, 1)),
                         Contains("conv_transpose2d: stride [1, 0] must be positive"), ValueError);
  }
  SUBCASE("conv2d_weight") {
    const Tensor dy = Tensor::zeros({2, 4, 6, 6});
    CHECK_THROWS_WITH_AS(conv2d_weight(x, Tensor::zeros({2, 4, 5, 6}), {3, 3}),
                         Contains("conv2d_weight: output gradient [2, 4, 5, 6] does not match "
                                  "conv2d's output 6 x 6 for input [2, 3, 8, 8] and kernel [3, 3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d_weight(x, Tensor::zeros({1, 4, 6, 6}), {3, 3}),
                         Contains("conv2d_weight: input [2, 3, 8, 8] and output gradient "
                                  "[1, 4, 6, 6] have different batch sizes"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d_weight(x, dy, {0, 3}),
                         Contains("conv2d_weight: kernel_size [0, 3] must be positive"), ValueError);
    CHECK_THROWS_WITH_AS(conv2d_weight(Tensor::zeros({2, 4, 8, 8}), Tensor::zeros({2, 3, 6, 6}),
                                       {3, 3}, two_groups),
                         Contains("conv2d_weight: output gradient [2, 3, 6, 6] has 3 channels, "
                                  "which groups(2) does not divide"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d_weight(x, dy, {9, 3}),
                         Contains("conv2d_weight: kernel 9 x 3 with dilation [1, 1] spans 9 x 3, "
                                  "larger than input"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(
        conv2d_weight(x, Tensor::zeros({2, 4, 6, 6}, DType::Int64), {3, 3}),
        Contains("conv2d_weight: output gradient must be float32 or float64, got int64"),
        DTypeError);
  }
}
