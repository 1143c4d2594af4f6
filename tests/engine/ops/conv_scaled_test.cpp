// conv2d_scaled: conv2d with each output channel's weights scaled as the kernel packs them. Values
// against conv2d on the explicitly scaled weight (bit for bit on the fast float32 paths, which scale
// the same way), gradients of first and second order, bad input.
#include <doctest/doctest.h>

#include <array>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

Conv2dOptions options(std::array<std::int64_t, 2> stride, std::array<std::int64_t, 2> padding,
                      std::int64_t groups) {
  Conv2dOptions o;
  o.stride = stride;
  o.padding = padding;
  o.groups = groups;
  return o;
}

// conv2d(x, w · scale[k], bias): what conv2d_scaled must equal
Tensor scaled_explicitly(const Tensor& x, const Tensor& w, const Tensor& scale, const Tensor& bias,
                         const Conv2dOptions& o) {
  return conv2d(x, w * scale.reshape({w.size(0), 1, 1, 1}), bias, o);
}

}  // namespace

TEST_CASE("conv2d_scaled equals conv2d on the scaled weight") {
  struct Case {
    const char* name;
    Shape x, w;
    Conv2dOptions o;
  };
  const Case cases[] = {
      {"GEMM path, stride 1", {2, 16, 9, 7}, {24, 16, 3, 3}, options({1, 1}, {1, 1}, 1)},
      {"GEMM path, stride 2, groups 2", {3, 8, 10, 9}, {6, 4, 3, 3}, options({2, 2}, {1, 1}, 2)},
      {"pointwise path, 1x1", {1, 5, 6, 6}, {7, 5, 1, 1}, options({1, 1}, {0, 0}, 1)},
      {"pointwise path, 1x1 stride 2", {2, 16, 9, 9}, {13, 16, 1, 1}, options({2, 2}, {0, 0}, 1)},
      {"direct path (one input channel)", {2, 1, 12, 20}, {16, 1, 3, 3}, options({1, 1}, {1, 1}, 1)},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const Tensor x = random_normal(c.x, 1, DType::Float32), w = random_normal(c.w, 2, DType::Float32);
    const Tensor scale = random_normal({c.w[0]}, 3, DType::Float32), bias = random_normal({c.w[0]}, 4, DType::Float32);
    // float32 runs the fast kernels: w[k] scale[k] rounded once, as the mul op rounds it
    CHECK(conv2d_scaled(x, w, scale, bias, c.o).to_vector() ==
          scaled_explicitly(x, w, scale, bias, c.o).to_vector());
    // float64 runs the reference kernel
    const Tensor x64 = x.to(DType::Float64), w64 = w.to(DType::Float64);
    const Tensor s64 = scale.to(DType::Float64), b64 = bias.to(DType::Float64);
    const std::vector<double> got = conv2d_scaled(x64, w64, s64, Tensor(), c.o).to_vector();
    const std::vector<double> want = scaled_explicitly(x64, w64, s64, Tensor(), c.o).to_vector();
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
  }
}

TEST_CASE("conv2d_scaled gradients of first and second order in x, w, scale and bias") {
  SUBCASE("stride 2, padding 1") {
    const Conv2dOptions o = options({2, 2}, {1, 1}, 1);
    check_gradients([o](const Inputs& in) { return conv2d_scaled(in[0], in[1], in[2], in[3], o); },
                    {random_normal({2, 3, 5, 6}, 10), random_normal({4, 3, 3, 3}, 11),
                     random_normal({4}, 12), random_normal({4}, 13)});
  }
  SUBCASE("groups 2, no bias") {
    const Conv2dOptions o = options({1, 1}, {1, 0}, 2);
    check_gradients([o](const Inputs& in) { return conv2d_scaled(in[0], in[1], in[2], Tensor(), o); },
                    {random_normal({2, 4, 4, 5}, 14), random_normal({4, 2, 3, 2}, 15), random_normal({4}, 16)});
  }
}

TEST_CASE("conv2d_scaled bad input names the op and the scale") {
  const Tensor x = Tensor::zeros({1, 2, 5, 5}), w = Tensor::zeros({3, 2, 3, 3});
  CHECK_THROWS_WITH_AS(conv2d_scaled(x, w, Tensor::ones({2})),
                       doctest::Contains("conv2d_scaled: scale [2] must have shape [3], one entry per "
                                         "output channel of weight [3, 2, 3, 3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(conv2d_scaled(x, w, Tensor()), doctest::Contains("conv2d_scaled: scale is undefined"),
                       ValueError);
  CHECK_THROWS_WITH_AS(conv2d_scaled(x, w, Tensor::ones({3}, DType::Float64)),
                       doctest::Contains("conv2d_scaled: input"), DTypeError);
  CHECK_THROWS_WITH_AS(conv2d_scaled(x, Tensor::zeros({3, 1, 3, 3}), Tensor::ones({3})),
                       doctest::Contains("conv2d_scaled: input [1, 2, 5, 5] has 2 channels"), ShapeError);
}
