// IDX loading: crafted small files (plain and gzipped), hostile headers, the real Fashion-MNIST.
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "models/data/idx.hpp"
#include "test_helpers.hpp"

#if ATTRAX_HAVE_ZLIB
#include <zlib.h>
#endif

using namespace attrax;
using namespace attrax::data;
using namespace attrax::data::testing;

namespace {

void append_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((v >> shift) & 0xff));
}

// An IDX file: magic 0x0800 | rank, the extents, then `data`.
std::string idx_file(const std::vector<std::uint32_t>& extents, const std::vector<int>& data,
                     std::uint32_t magic = 0) {
  std::string out;
  append_u32(out, magic ? magic : 0x0800u | std::uint32_t(extents.size()));
  for (const std::uint32_t e : extents) append_u32(out, e);
  for (const int v : data) out.push_back(char(v));
  return out;
}

template <class Load>
std::string file_error(Load load) {
  return error_message<FileError>(load);
}

const std::vector<int> kSixPixels = {0, 1, 2, 253, 254, 255};

}  // namespace

TEST_CASE("idx: two 1x3 images and their labels load as a single-channel dataset") {
  TempDir dir;
  write_bytes(dir / "images", idx_file({2, 1, 3}, kSixPixels));
  write_bytes(dir / "labels", idx_file({2}, {7, 3}));
  const Dataset set = load_idx(dir / "images", dir / "labels");
  CHECK(set.count == 2);
  CHECK(set.channels == 1);
  CHECK(set.height == 1);
  CHECK(set.width == 3);
  CHECK(set.pixels == std::vector<std::uint8_t>{0, 1, 2, 253, 254, 255});
  CHECK(set.labels == std::vector<std::int64_t>{7, 3});
  CHECK(set.class_names ==
        std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  CHECK_FALSE(set.has_masks());
}

TEST_CASE("idx: labels above 9 get as many class names as the largest label needs") {
  TempDir dir;
  write_bytes(dir / "images", idx_file({2, 1, 3}, kSixPixels));
  write_bytes(dir / "labels", idx_file({2}, {12, 255}));
  const Dataset set = load_idx(dir / "images", dir / "labels");
  CHECK(set.num_classes() == 256);
  CHECK(set.class_names.back() == "255");
}

TEST_CASE("idx: hostile files give a FileError naming the file and the problem") {
  TempDir dir;
  const std::string images = dir / "images", labels = dir / "labels";
  write_bytes(labels, idx_file({2}, {1, 2}));
  const auto error_for = [&](const std::string& image_bytes) {
    write_bytes(images, image_bytes);
    return file_error([&] { load_idx(images, labels); });
  };
  SUBCASE("wrong magic") {
    const std::string m = error_for(idx_file({2, 1, 3}, kSixPixels, 0x00000903));
    CHECK(mentions(m, images));
    CHECK(mentions(m, "wrong magic 0x00000903, expected 0x00000803"));
  }
  SUBCASE("a label file passed as the image file") {
    CHECK(mentions(error_for(idx_file({6}, kSixPixels)), "magic 0x00000801"));
  }
  SUBCASE("truncated pixels") {
    const std::string m = error_for(idx_file({2, 1, 3}, {0, 1, 2, 3, 4}));
    CHECK(mentions(m, images));
    CHECK(mentions(m, "truncated"));
  }
  SUBCASE("bytes beyond the extents") {
    CHECK(mentions(error_for(idx_file({2, 1, 3}, {0, 1, 2, 3, 4, 5, 6})), "7 follow the header"));
  }
  SUBCASE("a truncated header") {
    CHECK(mentions(error_for(idx_file({2, 1, 3}, {}).substr(0, 10)), "truncated IDX header"));
    CHECK(mentions(error_for(std::string("\x00\x00", 2)), "too short"));
  }
  SUBCASE("huge extents in a tiny file are refused before any allocation") {
    const std::string m = error_for(idx_file({0xffffffffu, 0xffffffffu, 0xffffffffu}, kSixPixels));
    CHECK(mentions(m, "truncated"));
  }
  SUBCASE("a zero extent") {
    CHECK(mentions(error_for(idx_file({0, 1, 3}, {})), "zero"));
  }
  SUBCASE("image and label counts differ") {
    const std::string m = error_for(idx_file({3, 1, 2}, kSixPixels));
    CHECK(mentions(m, labels));
    CHECK(mentions(m, "2 labels"));
    CHECK(mentions(m, "3 images"));
  }
  SUBCASE("a missing file") {
    const std::string missing = dir / "nothing-here";
    const std::string m = file_error([&] { load_idx(missing, labels); });
    CHECK(mentions(m, missing));
    CHECK(mentions(m, "cannot open"));
  }
  SUBCASE("a directory passed as a file") {
    const std::string m = file_error([&] { load_idx(dir.str(), labels); });
    CHECK(mentions(m, dir.str()));
    CHECK(mentions(m, "directory"));
  }
}

#if ATTRAX_HAVE_ZLIB
namespace {

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  REQUIRE(gzclose(file) == Z_OK);
}

}  // namespace

TEST_CASE("idx: gzipped files are decompressed and validated like plain ones") {
  TempDir dir;
  const std::string images = dir / "images.gz", labels = dir / "labels.gz";
  write_gzip(labels, idx_file({2}, {4, 5}));
  SUBCASE("valid") {
    write_gzip(images, idx_file({2, 1, 3}, kSixPixels));
    const Dataset set = load_idx(images, labels);
    CHECK(set.pixels == std::vector<std::uint8_t>{0, 1, 2, 253, 254, 255});
    CHECK(set.labels == std::vector<std::int64_t>{4, 5});
  }
  SUBCASE("truncated pixels") {
    write_gzip(images, idx_file({2, 1, 3}, {0, 1, 2}));
    const std::string m = file_error([&] { load_idx(images, labels); });
    CHECK(mentions(m, images));
    CHECK(mentions(m, "truncated"));
  }
  SUBCASE("wrong magic") {
    write_gzip(images, idx_file({2, 1, 3}, kSixPixels, 0x00000d03));
    CHECK(mentions(file_error([&] { load_idx(images, labels); }), "magic"));
  }
  SUBCASE("a truncated gzip stream") {
    write_gzip(dir / "whole.gz", idx_file({2, 1, 3}, kSixPixels));
    std::string whole;
    {
      std::ifstream in(dir / "whole.gz", std::ios::binary);
      whole.assign(std::istreambuf_iterator<char>(in), {});
    }
    write_bytes(images, whole.substr(0, whole.size() / 2));
    CHECK(mentions(file_error([&] { load_idx(images, labels); }), images));
  }
  SUBCASE("a missing file") {
    const std::string missing = dir / "missing.gz";
    CHECK(mentions(file_error([&] { load_idx(missing, labels); }), missing));
  }
}

TEST_CASE("idx: the Fashion-MNIST test split has 10,000 28x28 images, 1,000 per class") {
  const Dataset set = load_fashion_mnist(Split::Test);
  CHECK(set.count == 10000);
  CHECK(set.channels == 1);
  CHECK(set.height == 28);
  CHECK(set.width == 28);
  CHECK(set.pixels.size() == 10000u * 28 * 28);
  REQUIRE(set.num_classes() == 10);
  CHECK(set.labels[0] == 9);
  CHECK(set.class_names[9] == "Ankle boot");
  CHECK(set.class_names[0] == "T-shirt/top");
  std::vector<int> per_class(10, 0);
  for (const std::int64_t label : set.labels) ++per_class[std::size_t(label)];
  CHECK(per_class == std::vector<int>(10, 1000));
}

TEST_CASE("idx: the Fashion-MNIST train split has 60,000 images, 6,000 per class") {
  const Dataset set = load_fashion_mnist(Split::Train);
  CHECK(set.count == 60000);
  CHECK(set.pixels.size() == 60000u * 28 * 28);
  std::vector<int> per_class(10, 0);
  for (const std::int64_t label : set.labels) ++per_class[std::size_t(label)];
  CHECK(per_class == std::vector<int>(10, 6000));
}
#else
TEST_CASE("idx: without zlib a .gz file gives a FileError that says so") {
  TempDir dir;
  const std::string m = file_error([&] { load_idx(dir / "images.gz", dir / "labels.gz"); });
  CHECK(mentions(m, "zlib"));
}
#endif

TEST_CASE("idx: a missing Fashion-MNIST directory names the Debian package") {
  TempDir dir;
  const std::string m = file_error([&] { load_fashion_mnist(Split::Test, dir / "absent"); });
  CHECK(mentions(m, "dataset-fashion-mnist"));
}
