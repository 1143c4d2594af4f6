// load_image: one PNG decoded to [1, C, H, W] in [0, 1], resized like the image-folder loader.
#include <doctest/doctest.h>

#include <filesystem>

#include "engine/attrax.hpp"
#include "models/data/image_folder.hpp"
#include "nn/io/png.hpp"

namespace attrax::data {

TEST_CASE("load_image returns the PNG's bytes / 255 at its size and the requested shape when resized") {
  const std::string path = (std::filesystem::temp_directory_path() / "attrax_load_image_test.png").string();
  std::vector<float> values(12);
  for (int i = 0; i < 12; ++i) values[std::size_t(i)] = float(i * 20) / 255.0f;
  nn::save_png(path, Tensor::from_data(values, {1, 3, 4}));
  const Tensor same = load_image(path, 1, 3, 4);
  CHECK(same.shape() == Shape{1, 1, 3, 4});
  for (int i = 0; i < 12; ++i) CHECK(same.data<float>()[i] == doctest::Approx(values[std::size_t(i)]));
  const Tensor resized = load_image(path, 3, 6, 8);
  CHECK(resized.shape() == Shape{1, 3, 6, 8});
  CHECK(resized.data<float>()[0] == doctest::Approx(0.0));
  std::filesystem::remove(path);
  try {
    load_image(path, 1, 3, 4);
    FAIL("a missing file was accepted");
  } catch (const FileError& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

}  // namespace attrax::data
