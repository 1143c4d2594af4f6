// .npy and PNG writers: what NumPy and stb_image read back, the exact .npy header, atomic writes and
// refused input.
#include <doctest/doctest.h>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <cmath>
#include <memory>

#include "engine/attrax.hpp"
#include "nn/io/npy.hpp"
#include "nn/io/png.hpp"
#include "scratch_dir.hpp"

namespace attrax::nn {
using testing::ScratchDir;

using testing::read_bytes;

TEST_CASE("save_npy writes NumPy's format 1.0 header, 64-byte aligned, and load_npy reads it back") {
  ScratchDir dir;
  const Tensor t = Tensor::from_data(std::vector<float>{1, 2, 3, 4, 5, 6.5f}, {2, 3});
  save_npy(dir.file("a.npy"), t);
  const std::string bytes = read_bytes(dir.file("a.npy"));
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header_length = std::uint8_t(bytes[8]) | std::size_t(std::uint8_t(bytes[9])) << 8;
  CHECK((10 + header_length) % 64 == 0);
  CHECK(bytes.substr(10, header_length).starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
  CHECK(bytes[10 + header_length - 1] == '\n');
  CHECK(bytes.size() == 10 + header_length + 6 * 4);
  const Tensor back = load_npy(dir.file("a.npy"));
  CHECK(back.shape() == t.shape());
  CHECK(back.to_vector() == t.to_vector());
}

TEST_CASE("save_npy round-trips float64 and int64 of rank 0 to 4, with NumPy's tuple spelling") {
  ScratchDir dir;
  const Tensor scalar = Tensor::scalar(2.5, DType::Float64);
  const Tensor vector = Tensor::from_data(std::vector<std::int64_t>{-1, 7, 9}, {3});
  Generator gen(3, 1);
  const Tensor rank4 = Tensor::rand({2, 1, 3, 2}, gen, DType::Float64);
  for (const Tensor& t : {scalar, vector, rank4}) {
    save_npy(dir.file("t.npy"), t);
    const Tensor back = load_npy(dir.file("t.npy"));
    CHECK(back.dtype() == t.dtype());
    CHECK(back.shape() == t.shape());
    CHECK(back.to_vector() == t.to_vector());
  }
  save_npy(dir.file("s.npy"), scalar);
  CHECK(read_bytes(dir.file("s.npy")).find("'shape': (), }") != std::string::npos);
  save_npy(dir.file("v.npy"), vector);
  CHECK(read_bytes(dir.file("v.npy")).find("'descr': '<i8', 'fortran_order': False, 'shape': (3,), }") !=
        std::string::npos);
}

TEST_CASE("save_png writes round(255 v) per channel, read back by stb_image") {
  ScratchDir dir;
  // 3 channels, 2 x 2: channel c, pixel i has value (c + 1) · i / 10, one value outside [0, 1]
  std::vector<float> values(12);
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 4; ++i) values[std::size_t(c * 4 + i)] = float((c + 1) * i) / 10.0f;
  values[11] = 1.7f;
  save_png(dir.file("rgb.png"), Tensor::from_data(values, {3, 2, 2}));
  int w = 0, h = 0, c = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> pixels(stbi_load(dir.file("rgb.png").c_str(), &w, &h, &c, 0),
                                                         stbi_image_free);
  REQUIRE(pixels);
  CHECK(w == 2);
  CHECK(h == 2);
  CHECK(c == 3);
  for (int ch = 0; ch < 3; ++ch)
    for (int i = 0; i < 4; ++i) {
      const float v = std::fmin(values[std::size_t(ch * 4 + i)], 1.0f);
      CHECK(int(pixels.get()[i * 3 + ch]) == int(std::lround(255.0 * v)));
    }
  save_png(dir.file("grey.png"), Tensor::full({1, 1, 3, 5}, 0.5));
  pixels.reset(stbi_load(dir.file("grey.png").c_str(), &w, &h, &c, 0));
  REQUIRE(pixels);
  CHECK(w == 5);
  CHECK(h == 3);
  CHECK(c == 1);
  CHECK(int(pixels.get()[0]) == 128);
}

TEST_CASE("bad images and arrays are refused and leave no file") {
  ScratchDir dir;
  CHECK_THROWS_AS(save_png(dir.file("a.png"), Tensor::zeros({2, 4, 4})), ShapeError);
  CHECK_THROWS_AS(save_png(dir.file("a.png"), Tensor::zeros({4, 4})), ShapeError);
  CHECK_THROWS_AS(save_png(dir.file("a.png"), Tensor::full({1, 2, 2}, std::nan(""))), ValueError);
  CHECK_THROWS_AS(save_npy(dir.file("a.npy"), Tensor()), ValueError);
  CHECK_THROWS_AS(save_png(dir.file("missing/a.png"), Tensor::zeros({1, 2, 2})), FileError);
  CHECK(dir.listing().empty());
}

}  // namespace attrax::nn
