// Image folders: class and file order, extension filtering, decoding, bilinear resizing, errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "models/data/image_folder.hpp"
#include "test_helpers.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

using namespace attrax;
using namespace attrax::data;
using namespace attrax::data::testing;

namespace {

// Writes an 8-bit PNG of height x width with interleaved channels.
void write_png(const std::string& path, int height, int width, int channels,
               const std::vector<std::uint8_t>& pixels) {
  REQUIRE(pixels.size() == std::size_t(height * width * channels));
  REQUIRE(stbi_write_png(path.c_str(), width, height, channels, pixels.data(), width * channels));
}

// root/cat/{b.png, a.PNG, notes.txt, .hidden.png}, root/dog/c.bmp, root/.cache/ (hidden, skipped).
void write_pets(const TempDir& root) {
  std::filesystem::create_directories(root / "cat");
  std::filesystem::create_directories(root / "dog");
  std::filesystem::create_directories(root / ".cache");
  write_png(root / "cat/b.png", 2, 2, 1, {10, 20, 30, 40});
  write_png(root / "cat/a.PNG", 2, 2, 1, {50, 60, 70, 80});
  write_bytes(root / "cat/notes.txt", "not an image");
  write_bytes(root / "cat/.hidden.png", "skipped");
  const std::vector<std::uint8_t> grey_rgb = {90,  90,  90,  100, 100, 100,
                                              110, 110, 110, 120, 120, 120};
  REQUIRE(stbi_write_bmp((root / "dog/c.bmp").c_str(), 2, 2, 3, grey_rgb.data()));
}

}  // namespace

TEST_CASE("image folder: classes are sorted subfolders and files are sorted by name") {
  TempDir root;
  write_pets(root);
  const Dataset set = load_image_folder(root.str(), {.height = 2, .width = 2, .channels = 1});
  CHECK(set.class_names == std::vector<std::string>{"cat", "dog"});
  CHECK(set.count == 3);
  CHECK(set.labels == std::vector<std::int64_t>{0, 0, 1});
  CHECK(set.channels == 1);
  // a.PNG, then b.png, then the grey BMP converted to one channel.
  CHECK(set.pixels ==
        std::vector<std::uint8_t>{50, 60, 70, 80, 10, 20, 30, 40, 90, 100, 110, 120});
}

TEST_CASE("image folder: RGB images are stored planar, channel by channel") {
  TempDir root;
  std::filesystem::create_directories(root / "only");
  write_png(root / "only/rgb.png", 1, 2, 3, {1, 2, 3, 4, 5, 6});
  const Dataset set = load_image_folder(root.str(), {.height = 1, .width = 2, .channels = 3});
  CHECK(set.pixels == std::vector<std::uint8_t>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("image folder: grey images are repeated into three channels when RGB is asked for") {
  TempDir root;
  std::filesystem::create_directories(root / "only");
  write_png(root / "only/grey.png", 1, 2, 1, {7, 200});
  const Dataset set = load_image_folder(root.str(), {.height = 1, .width = 2, .channels = 3});
  CHECK(set.pixels == std::vector<std::uint8_t>{7, 200, 7, 200, 7, 200});
}

TEST_CASE("image folder: 2x2 upsampled to 4x4 matches bilinear with half-pixel centres") {
  TempDir root;
  std::filesystem::create_directories(root / "only");
  write_png(root / "only/small.png", 2, 2, 1, {0, 100, 200, 40});
  const Dataset set = load_image_folder(root.str(), {.height = 4, .width = 4, .channels = 1});
  // Source positions per output index: 0 -> 0 (clamped), 1 -> 0.25, 2 -> 0.75, 3 -> 1 (clamped).
  // Rows 1 and 2 are 0.75 / 0.25 blends of [0, 25, 75, 100] and [200, 160, 80, 40], rounded.
  CHECK(set.pixels == std::vector<std::uint8_t>{0,   25,  75, 100,  //
                                                50,  59,  76, 85,   //
                                                150, 126, 79, 55,   //
                                                200, 160, 80, 40});
}

TEST_CASE("image folder: halving a 4x4 image averages each 2x2 block") {
  TempDir root;
  std::filesystem::create_directories(root / "only");
  write_png(root / "only/big.png", 4, 4, 1,
            {0, 4, 100, 200, 8, 12, 50, 150, 1, 1, 9, 9, 3, 3, 9, 9});
  const Dataset set = load_image_folder(root.str(), {.height = 2, .width = 2, .channels = 1});
  CHECK(set.pixels == std::vector<std::uint8_t>{6, 125, 2, 9});
}

TEST_CASE("image folder: a non-square resize keeps rows and columns apart") {
  TempDir root;
  std::filesystem::create_directories(root / "only");
  write_png(root / "only/row.png", 1, 2, 1, {0, 200});
  const Dataset set = load_image_folder(root.str(), {.height = 2, .width = 4, .channels = 1});
  CHECK(set.pixels == std::vector<std::uint8_t>{0, 50, 150, 200, 0, 50, 150, 200});
}

TEST_CASE("image folder: a corrupt image gives a FileError naming it") {
  TempDir root;
  write_pets(root);
  write_bytes(root / "dog/broken.png", "\x89PNG but not really");
  const std::string m =
      error_message<FileError>([&] { load_image_folder(root.str(), {.channels = 1}); });
  CHECK(mentions(m, root / "dog/broken.png"));
}

TEST_CASE("image folder: a missing or empty root and an empty class folder are FileErrors") {
  TempDir root;
  const std::string missing = root / "missing";
  CHECK(mentions(error_message<FileError>([&] { load_image_folder(missing); }), missing));
  CHECK(mentions(error_message<FileError>([&] { load_image_folder(root.str()); }), "no class"));
  std::filesystem::create_directories(root / "empty");
  write_bytes(root / "empty/readme.txt", "no images here");
  CHECK(mentions(error_message<FileError>([&] { load_image_folder(root.str()); }),
                 root / "empty"));
}

TEST_CASE("image folder: bad options are ValueErrors") {
  TempDir root;
  write_pets(root);
  CHECK_THROWS_AS(load_image_folder(root.str(), {.channels = 2}), ValueError);
  CHECK_THROWS_AS(load_image_folder(root.str(), {.height = 0}), ValueError);
  CHECK_THROWS_AS(load_image_folder(root.str(), {.width = -3}), ValueError);
  CHECK_THROWS_AS(load_image_folder(root.str(), {.height = 100000}), ValueError);
}
