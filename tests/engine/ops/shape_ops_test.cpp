// Shape ops: layout, slicing, joining, padding, bilinear resampling and indexing. Values, adjoint
// identities, first- and second-order gradients, bad input.
#include <doctest/doctest.h>

#include <cstdint>

#include "support/checks.hpp"

using namespace attrax;
using namespace attrax::testing;
using Values = std::vector<double>;

namespace {

Tensor values(const Values& v, const Shape& shape) { return Tensor::from_data(v, shape); }

Tensor indices(const std::vector<std::int64_t>& v, const Shape& shape) {
  return Tensor::from_data(v, shape);
}

// 0, 1, 2, ... in float64, in `shape`.
Tensor counting(const Shape& shape) {
  return Tensor::arange(0.0, double(shape.numel()), 1.0, DType::Float64).reshape(shape.vec());
}

double dot(const Tensor& a, const Tensor& b) { return sum(a * b).item(); }

}  // namespace

TEST_CASE("shape ops: flatten merges axes as torch.flatten") {
  const Tensor x = counting({2, 3, 4});
  CHECK(flatten(x).shape() == Shape{24});
  CHECK(flatten(x, 1).shape() == Shape{2, 12});
  CHECK(flatten(x, 0, 1).shape() == Shape{6, 4});
  CHECK(flatten(x, -2, -1).shape() == Shape{2, 12});
  CHECK(flatten(x, 1, 1).shape() == Shape{2, 3, 4});
  CHECK(flatten(Tensor::scalar(5.0)).shape() == Shape{1});
  CHECK(flatten(x, 1).to_vector() == x.to_vector());
  check_gradients([](const Inputs& in) { return flatten(in[0], 0, 1) * flatten(in[0], 0, 1); },
                    {random_normal({2, 3, 2}, 1)});
  CHECK_THROWS_WITH_AS(flatten(x, 2, 1),
                       doctest::Contains("flatten: start axis 2 comes after end axis 1 for input [2, 3, 4]"),
                       IndexError);
  CHECK_THROWS_WITH_AS(flatten(x, 3), doctest::Contains("flatten: axis 3 is out of range"), IndexError);
}

TEST_CASE("shape ops: permute and transpose move elements") {
  const Tensor x = counting({2, 3, 4});
  const Tensor y = permute(x, {2, 0, 1});
  REQUIRE(y.shape() == Shape{4, 2, 3});
  const Tensor t = transpose(x, 0, -1);
  REQUIRE(t.shape() == Shape{4, 3, 2});
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t k = 0; k < 4; ++k) {
        CHECK(y.at({k, i, j}) == x.at({i, j, k}));
        CHECK(t.at({k, j, i}) == x.at({i, j, k}));
      }
  CHECK(transpose(values({1, 2, 3, 4, 5, 6}, {2, 3}), 0, 1).to_vector() == Values{1, 4, 2, 5, 3, 6});
  const Tensor labels = indices({1, 2, 3, 4, 5, 6}, {3, 2});
  CHECK(permute(labels, {1, 0}).to_vector() == Values{1, 3, 5, 2, 4, 6});
  CHECK(permute(labels, {1, 0}).dtype() == DType::Int64);
}

TEST_CASE("shape ops: gradients of permute and transpose") {
  const Tensor x = random_normal({2, 3, 4}, 2);
  check_gradients([](const Inputs& in) { return permute(in[0], {1, 2, 0}) * permute(in[0], {1, 2, 0}); },
                    {x});
  check_gradients([](const Inputs& in) { return transpose(in[0], 1, 2); }, {x});
}

TEST_CASE("shape ops: bad permutations name the op and the input") {
  const Tensor x = Tensor::zeros({2, 3, 4});
  CHECK_THROWS_WITH_AS(permute(x, {0, 1}),
                       doctest::Contains("permute: got 2 axes for input [2, 3, 4] of rank 3"), IndexError);
  CHECK_THROWS_WITH_AS(permute(x, {0, 2, 0}),
                       doctest::Contains("permute: axis 0 appears twice in the permutation of input [2, 3, 4]"),
                       IndexError);
  CHECK_THROWS_WITH_AS(permute(x, {0, 1, 3}),
                       doctest::Contains("permute: axis 3 is out of range for a tensor of rank 3"), IndexError);
  CHECK_THROWS_WITH_AS(transpose(x, 0, -4),
                       doctest::Contains("transpose: axis -4 is out of range"), IndexError);
}

TEST_CASE("shape ops: slice follows Python slicing") {
  const Tensor x = counting({10});
  CHECK(slice(x, 0, 2, 5).to_vector() == Values{2, 3, 4});
  CHECK(slice(x, 0, -3, 100).to_vector() == Values{7, 8, 9});
  CHECK(slice(x, 0, -100, 2).to_vector() == Values{0, 1});
  CHECK(slice(x, 0, 3, -5).to_vector() == Values{3, 4});
  CHECK(slice(x, 0, 6, 2).shape() == Shape{0});
  const Tensor m = counting({3, 4});
  CHECK(slice(m, 1, 1, 3).to_vector() == Values{1, 2, 5, 6, 9, 10});
  CHECK(slice(m, -2, 2, 3).to_vector() == Values{8, 9, 10, 11});
  CHECK(slice(indices({4, 5, 6}, {3}), 0, 1, 3).to_vector() == Values{5, 6});
  CHECK_THROWS_WITH_AS(slice(m, 2, 0, 1),
                       doctest::Contains("slice: axis 2 is out of range for a tensor of rank 2"), IndexError);
}

TEST_CASE("shape ops: slice and pad are adjoint, and their gradients") {
  const Tensor x = random_normal({3, 4}, 3), y = random_normal({3, 2}, 4);
  CHECK(dot(slice(x, 1, 1, 3), y) == doctest::Approx(dot(x, pad(y, {0, 1}, {0, 1}))).epsilon(1e-12));
  check_gradients([](const Inputs& in) { return slice(in[0], 1, 1, 3); }, {x});
  check_gradients([](const Inputs& in) {
    const Tensor s = slice(in[0], -2, -2, 10);
    return s * s;
  }, {random_normal({2, 3, 4}, 5)});
  check_gradients([](const Inputs& in) { return pad(in[0], {1, 0, 2}, {0, 2, 1}); }, {random_normal({2, 2, 3}, 6)});
}

TEST_CASE("shape ops: pad adds zeros per axis") {
  const Tensor x = values({1, 2, 3, 4}, {2, 2});
  const Tensor y = pad(x, {1, 0}, {0, 2});
  REQUIRE(y.shape() == Shape{3, 4});
  CHECK(y.to_vector() == Values{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
  CHECK(pad(x, {0, 0}, {0, 0}).to_vector() == x.to_vector());
  CHECK(pad(indices({7}, {1}), {2}, {1}).to_vector() == Values{0, 0, 7, 0});
  CHECK_THROWS_WITH_AS(pad(x, {1}, {1, 1}),
                       doctest::Contains("pad: got 1 before and 2 after extents for input [2, 2] of rank 2"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(pad(x, {0, -1}, {0, 0}),
                       doctest::Contains("pad: padding must be non-negative, got -1 before and 0 after axis 1"),
                       ValueError);
}

TEST_CASE("shape ops: concat and stack join tensors") {
  const Tensor a = values({1, 2, 3, 4}, {2, 2}), b = values({5, 6, 7, 8, 9, 10}, {2, 3});
  const Tensor joined = concat({a, b}, 1);
  REQUIRE(joined.shape() == Shape{2, 5});
  CHECK(joined.to_vector() == Values{1, 2, 5, 6, 7, 3, 4, 8, 9, 10});
  CHECK(concat({a, values({5, 6}, {1, 2})}, -2).to_vector() == Values{1, 2, 3, 4, 5, 6});
  CHECK(concat({a}, 0).to_vector() == a.to_vector());
  const Tensor c = values({5, 6, 7, 8}, {2, 2});
  CHECK(stack({a, c}).shape() == Shape{2, 2, 2});
  CHECK(stack({a, c}).to_vector() == Values{1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor last = stack({a, c}, -1);
  REQUIRE(last.shape() == Shape{2, 2, 2});
  CHECK(last.to_vector() == Values{1, 5, 2, 6, 3, 7, 4, 8});
  CHECK(stack({a, c}, 1).to_vector() == Values{1, 2, 5, 6, 3, 4, 7, 8});
}

TEST_CASE("shape ops: gradients of concat and stack") {
  const Tensor a = random_normal({2, 1, 3}, 7), b = random_normal({2, 2, 3}, 8), c = random_normal({2, 3, 3}, 9);
  check_gradients([](const Inputs& in) {
    const Tensor y = concat({in[0], in[1], in[2]}, 1);
    return y * y;
  }, {a, b, c});
  check_gradients([](const Inputs& in) { return stack({in[0], in[1]}, 2); }, {b, random_normal({2, 2, 3}, 10)});
}

TEST_CASE("shape ops: bad joins name the inputs") {
  const Tensor a = Tensor::zeros({2, 2});
  CHECK_THROWS_WITH_AS(concat({}, 0), doctest::Contains("concat: no tensors to join"), Error);
  CHECK_THROWS_WITH_AS(concat({a, Tensor::zeros({2, 3}, DType::Float64)}, 1),
                       doctest::Contains("concat: input 1 is float64 [2, 3] but input 0 is float32 [2, 2]"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(concat({a, Tensor::zeros({3, 3})}, 1),
                       doctest::Contains("concat: input 1 has shape [3, 3] but input 0 has shape [2, 2]; "
                                         "all extents except axis 1 must agree"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(concat({a, Tensor::zeros({2})}, 0),
                       doctest::Contains("concat: input 1 has shape [2] but input 0 has shape [2, 2]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(concat({a, a}, 2), doctest::Contains("concat: axis 2 is out of range"), IndexError);
  CHECK_THROWS_WITH_AS(stack({a, Tensor::zeros({2, 1})}),
                       doctest::Contains("stack: input 1 has shape [2, 1] but input 0 has shape [2, 2]; "
                                         "all shapes must agree"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(stack({a, a}, 3),
                       doctest::Contains("stack: axis 3 is out of range for a tensor of rank 3"), IndexError);
  CHECK_THROWS_WITH_AS(stack({}), doctest::Contains("stack: no tensors to join"), Error);
}

TEST_CASE("shape ops: upsample_bilinear matches F.interpolate(align_corners=False)") {
  const Tensor x = values({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor y = upsample_bilinear(x, 4, 4);
  REQUIRE(y.shape() == Shape{1, 1, 4, 4});
  // torch.nn.functional.interpolate(x, size=(4, 4), mode='bilinear', align_corners=False)
  CHECK(y.to_vector() == Values{1.0, 1.25, 1.75, 2.0,
                                1.5, 1.75, 2.25, 2.5,
                                2.5, 2.75, 3.25, 3.5,
                                3.0, 3.25, 3.75, 4.0});
  // Downsampling 4 -> 3 reproduces the linear ramp x[w] = w at sources (q + 0.5) 4/3 - 0.5.
  const Tensor ramp = upsample_bilinear(counting({1, 1, 1, 4}), 1, 3);
  CHECK(ramp.at({0, 0, 0, 0}) == doctest::Approx(1.0 / 6.0));
  CHECK(ramp.at({0, 0, 0, 1}) == doctest::Approx(1.5));
  CHECK(ramp.at({0, 0, 0, 2}) == doctest::Approx(17.0 / 6.0));
  CHECK(upsample_bilinear(x, 2, 2).to_vector() == x.to_vector());
  CHECK(upsample_bilinear(x.to(DType::Float32), 4, 4).dtype() == DType::Float32);
}

TEST_CASE("shape ops: upsample_bilinear_adjoint is the exact adjoint") {
  const int sizes[][4] = {{2, 3, 4, 6}, {3, 5, 7, 4}, {5, 4, 2, 3}, {1, 1, 3, 2}};
  for (const auto& s : sizes) {
    const Tensor x = random_normal({2, 2, s[0], s[1]}, 11), dy = random_normal({2, 2, s[2], s[3]}, 12);
    const double lhs = dot(upsample_bilinear(x, s[2], s[3]), dy);
    CHECK(lhs == doctest::Approx(dot(x, upsample_bilinear_adjoint(dy, s[0], s[1]))).epsilon(1e-12));
  }
  // Each input pixel of a 2x2 -> 4x4 upsampling spreads total weight 4 over the output.
  CHECK(upsample_bilinear_adjoint(Tensor::ones({1, 1, 4, 4}, DType::Float64), 2, 2).to_vector() ==
        Values{4, 4, 4, 4});
}

TEST_CASE("shape ops: gradients of upsample_bilinear and its adjoint") {
  check_gradients([](const Inputs& in) { return upsample_bilinear(in[0], 5, 3); }, {random_normal({1, 2, 3, 4}, 13)});
  check_gradients([](const Inputs& in) { return upsample_bilinear_adjoint(in[0], 3, 4); },
                    {random_normal({1, 2, 5, 3}, 14)});
  check_gradients([](const Inputs& in) {
    const Tensor y = upsample_bilinear(in[0], 4, 4);
    return y * y;
  }, {random_normal({1, 1, 2, 3}, 15)});
}

TEST_CASE("shape ops: bad input to upsample_bilinear") {
  CHECK_THROWS_WITH_AS(upsample_bilinear(Tensor::zeros({2, 2}), 4, 4),
                       doctest::Contains("upsample_bilinear: input must have rank 4 [N,C,H,W], got shape [2, 2]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(upsample_bilinear(Tensor::zeros({1, 1, 2, 2}), 0, 4),
                       doctest::Contains("upsample_bilinear: cannot resample input [1, 1, 2, 2] to 0x4"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(upsample_bilinear(Tensor::zeros({1, 1, 2, 2}, DType::Int64), 4, 4),
                       doctest::Contains("upsample_bilinear: input must be float32 or float64, got int64"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(upsample_bilinear_adjoint(Tensor::zeros({1, 1, 2, 2}), 3, -1),
                       doctest::Contains("upsample_bilinear_adjoint: cannot resample gradient [1, 1, 2, 2] to 3x-1"),
                       ShapeError);
}

TEST_CASE("shape ops: gather and scatter_add follow torch") {
  const Tensor x = values({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(gather(x, 1, indices({0, 0, 1, 0}, {2, 2})).to_vector() == Values{1, 1, 5, 4});
  CHECK(gather(x, 0, indices({1, 0, 1}, {1, 3})).to_vector() == Values{4, 2, 6});
  // The gathered axis may be longer than the input's.
  CHECK(gather(x, 1, indices({2, 2, 2, 2, 0}, {1, 5})).to_vector() == Values{3, 3, 3, 3, 1});
  CHECK(gather(indices({4, 5, 6}, {3}), 0, indices({2, 0}, {2})).to_vector() == Values{6, 4});
  const Tensor src = values({1, 2, 30, 3, 4, 60}, {2, 3});
  const Tensor y = scatter_add(Tensor::zeros({2, 3}, DType::Float64), 1, indices({0, 0, 2, 1}, {2, 2}), src);
  CHECK(y.to_vector() == Values{3, 0, 0, 0, 4, 3});
  CHECK(scatter_add(x, 0, indices({1, 1, 0}, {1, 3}), src).to_vector() == Values{1, 2, 33, 5, 7, 6});
}

TEST_CASE("shape ops: gather and scatter_add are adjoint, and their gradients") {
  const Tensor x = random_normal({3, 4}, 16), index = indices({3, 3, 0, 1, 2, 2, 0, 3, 1, 1, 1, 0}, {2, 6});
  const Tensor s = random_normal({2, 6}, 17);
  CHECK(dot(gather(x, 1, index), s) ==
        doctest::Approx(dot(x, scatter_add(Tensor::zeros({3, 4}, DType::Float64), 1, index, s))).epsilon(1e-12));
  check_gradients([](const Inputs& in) {
    const Tensor y = gather(in[0], 1, in[1]);
    return y * y;
  }, {x, index});
  const Tensor rows = indices({2, 0, 2, 1, 1, 0}, {2, 3});
  check_gradients([](const Inputs& in) {
    const Tensor y = scatter_add(in[0], 0, in[1], in[2]);
    return y * y;
  }, {random_normal({3, 3}, 18), rows, random_normal({3, 4}, 19)});
}

TEST_CASE("shape ops: index_select picks whole slices") {
  const Tensor x = values({1, 2, 3, 4, 5, 6}, {3, 2});
  const Tensor picks = indices({2, 0, 2}, {3});
  CHECK(index_select(x, 0, picks).to_vector() == Values{5, 6, 1, 2, 5, 6});
  CHECK(index_select(x, -1, indices({1}, {1})).to_vector() == Values{2, 4, 6});
  CHECK(index_select(x, 0, indices({}, {0})).shape() == Shape{0, 2});
  check_gradients([](const Inputs& in) {
    const Tensor y = index_select(in[0], 1, in[1]);
    return y * y;
  }, {random_normal({2, 3, 2}, 20), indices({2, 2, 0, 1}, {4})});
}

TEST_CASE("shape ops: bad indices name the op and the offending value") {
  const Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::zeros({2, 2})),
                       doctest::Contains("gather: index must be an int64 tensor, got [2, 2] (float32)"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(gather(x, 1, indices({0, 3}, {1, 2})),
                       doctest::Contains("gather: index value 3 at position 1 is outside [0, 3) for axis 1 "
                                         "of input [2, 3]"),
                       IndexError);
  CHECK_THROWS_WITH_AS(gather(x, 0, indices({-1}, {1, 1})),
                       doctest::Contains("gather: index value -1 at position 0 is outside [0, 2)"), IndexError);
  CHECK_THROWS_WITH_AS(gather(x, 1, indices({0, 1}, {2})),
                       doctest::Contains("gather: index [2] must have the rank of input [2, 3] (2)"), ShapeError);
  CHECK_THROWS_WITH_AS(gather(x, 1, indices({0, 0, 0}, {3, 1})),
                       doctest::Contains("gather: index [3, 1] has extent 3 on axis 0 but input [2, 3] has only 2"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(gather(x, 2, indices({0}, {1, 1})),
                       doctest::Contains("gather: axis 2 is out of range"), IndexError);
  const Tensor index = indices({0, 1}, {1, 2});
  CHECK_THROWS_WITH_AS(scatter_add(Tensor::zeros({2, 3}, DType::Int64), 1, index, Tensor::zeros({1, 2}, DType::Int64)),
                       doctest::Contains("scatter_add: input must be float32 or float64, got int64"), DTypeError);
  CHECK_THROWS_WITH_AS(scatter_add(x, 1, index, Tensor::zeros({1, 2}, DType::Float64)),
                       doctest::Contains("scatter_add: src [1, 2] (float64) must have the dtype of input [2, 3] "
                                         "(float32)"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(scatter_add(x, 1, index, Tensor::zeros({1, 1})),
                       doctest::Contains("scatter_add: src [1, 1] must have the rank of index [1, 2] and be at "
                                         "least as large on every axis"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(scatter_add(x, 1, indices({5, 0}, {1, 2}), Tensor::zeros({1, 2})),
                       doctest::Contains("scatter_add: index value 5 at position 0 is outside [0, 3)"), IndexError);
  CHECK_THROWS_WITH_AS(index_select(x, 0, indices({0, 1}, {1, 2})),
                       doctest::Contains("index_select: index must have rank 1 [M], got shape [1, 2]"), ShapeError);
  CHECK_THROWS_WITH_AS(index_select(x, 0, indices({2}, {1})),
                       doctest::Contains("index_select: index value 2 at position 0 is outside [0, 2) for axis 0"),
                       IndexError);
  CHECK_THROWS_WITH_AS(index_select(x, 1, Tensor::zeros({1})),
                       doctest::Contains("index_select: index must be an int64 tensor"), DTypeError);
}
