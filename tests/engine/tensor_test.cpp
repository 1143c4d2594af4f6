// Tensor: factories, element access, views, conversion, printing, bad input.
#include <doctest/doctest.h>

#include <cstdint>

#include "engine/attrax.hpp"

using namespace attrax;

TEST_CASE("tensor: factories fill as documented") {
  CHECK(Tensor::zeros({2, 2}).to_vector() == std::vector<double>{0, 0, 0, 0});
  CHECK(Tensor::ones({3}, DType::Float64).to_vector() == std::vector<double>{1, 1, 1});
  CHECK(Tensor::full({2}, 7.5).to_vector() == std::vector<double>{7.5, 7.5});
  CHECK(Tensor::arange(4).to_vector() == std::vector<double>{0, 1, 2, 3});
  CHECK(Tensor::arange(1, 2, 0.25).to_vector() == std::vector<double>{1, 1.25, 1.5, 1.75});
  CHECK(Tensor::arange(5, 0, -2, DType::Int64).to_vector() == std::vector<double>{5, 3, 1});
  CHECK(Tensor::scalar(3).rank() == 0);
  CHECK(Tensor::scalar(3).item() == 3);
  CHECK(Tensor::zeros({0, 4}).numel() == 0);
}

TEST_CASE("tensor: storage is 64-byte aligned") {
  for (std::int64_t n : {1, 3, 17, 1000}) {
    const Tensor t = Tensor::zeros({n});
    CHECK(reinterpret_cast<std::uintptr_t>(t.data<float>()) % 64 == 0);
  }
}

TEST_CASE("tensor: element access and conversion") {
  Tensor t = Tensor::from_data(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.at({1, 2}) == 6);
  t.set({0, 1}, 9);
  CHECK(t.data<float>()[1] == 9);
  CHECK(t.size(-1) == 3);
  const Tensor d = t.to(DType::Float64);
  CHECK(d.dtype() == DType::Float64);
  CHECK(d.to_vector() == t.to_vector());
  const Tensor c = t.clone();
  t.set({0, 0}, -1);
  CHECK(c.at({0, 0}) == 1);
}

TEST_CASE("tensor: printing is readable") {
  const Tensor t = Tensor::from_data(std::vector<float>{1, 2, 3, 4}, {2, 2});
  CHECK(t.str() == "tensor([[1, 2],\n [3, 4]], shape=[2, 2], dtype=float32)");
  const Tensor long_row = Tensor::arange(10);
  CHECK(long_row.str() == "tensor([0, 1, 2, ..., 7, 8, 9], shape=[10], dtype=float32)");
  Tensor x = Tensor::ones({1}).requires_grad_();
  CHECK(x.str().find("requires_grad=true") != std::string::npos);
  CHECK((x * 2.0).str().find("grad_fn=mul") != std::string::npos);
}

TEST_CASE("tensor: bad input names the problem") {
  CHECK_THROWS_WITH_AS(Tensor::from_data(std::vector<float>{1, 2, 3}, {2, 2}),
                       doctest::Contains("from_data: 3 values cannot fill shape [2, 2]"), ShapeError);
  CHECK_THROWS_WITH_AS(Tensor::zeros({1, 1, 1, 1, 1, 1, 1}),
                       doctest::Contains("rank 7 exceeds the maximum of 6"), ShapeError);
  CHECK_THROWS_WITH_AS(Tensor::zeros({2, -1}), doctest::Contains("negative"), ShapeError);
  const Tensor t = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(t.item(), doctest::Contains("item: needs a tensor with one element, got shape [2, 3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(t.at({2, 0}), doctest::Contains("index 2 is out of range for axis 0"), IndexError);
  CHECK_THROWS_WITH_AS(t.reshape({4, -1}), doctest::Contains("cannot infer"), ShapeError);
  CHECK_THROWS_WITH_AS(t.reshape({5}), doctest::Contains("cannot view [2, 3] (6 elements) as [5]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(t.data<double>(), doctest::Contains("holds float32 but was read as float64"),
                       DTypeError);
  CHECK_THROWS_WITH_AS(t.size(2), doctest::Contains("axis 2 is out of range"), IndexError);
  CHECK_THROWS_WITH_AS(Tensor::arange(0, 1, 0), doctest::Contains("step non-zero"), Error);
  CHECK_THROWS_WITH_AS(Tensor().shape(), doctest::Contains("undefined"), Error);
}
