#include "models/data/idx.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "engine/error.hpp"

#if ATTRAX_HAVE_ZLIB
#include <zlib.h>
#endif

namespace attrax::data {

namespace {

// No IDX file we read is near this size; a larger one is refused before it is allocated.
constexpr std::uint64_t kMaxFileBytes = std::uint64_t(4) << 30;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw FileError("load_idx: '" + path + "': " + problem);
}

[[noreturn]] void fail_to_open(const std::string& path) {
  fail(path, std::string("cannot open the file: ") + std::strerror(errno));
}

bool ends_with_gz(const std::string& path) {
  return path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

std::vector<std::uint8_t> read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail_to_open(path);
  const std::uint64_t size = std::uint64_t(in.tellg());
  if (size > kMaxFileBytes) fail(path, "is larger than 4 GiB");
  std::vector<std::uint8_t> bytes(size);
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size)))
    fail(path, "read error");
  return bytes;
}

#if ATTRAX_HAVE_ZLIB
// The whole decompressed stream, read in chunks so no size from the file is trusted.
std::vector<std::uint8_t> read_gzip(const std::string& path) {
  const std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), gzclose);
  if (!file) fail_to_open(path);
  std::vector<std::uint8_t> bytes;
  constexpr unsigned kChunk = 1u << 20;
  int got = 0;
  do {
    if (bytes.size() + kChunk > kMaxFileBytes) fail(path, "decompresses to more than 4 GiB");
    const std::size_t used = bytes.size();
    bytes.resize(used + kChunk);
    got = gzread(file.get(), bytes.data() + used, kChunk);
    bytes.resize(used + std::size_t(std::max(got, 0)));
  } while (got > 0);
  int code = Z_OK;
  if (got < 0) fail(path, std::string("corrupt gzip data (") + gzerror(file.get(), &code) + ")");
  return bytes;
}
#else
std::vector<std::uint8_t> read_gzip(const std::string& path) {
  fail(path, "this build of attrax has no zlib, so it cannot read .gz files; decompress it with "
             "gunzip and pass the uncompressed path");
}
#endif

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  if (std::filesystem::is_directory(path)) fail(path, "is a directory, not an IDX file");
  return ends_with_gz(path) ? read_gzip(path) : read_plain(path);
}

// An IDX array of unsigned bytes: its extents and its elements.
struct IdxBytes {
  std::vector<std::int64_t> extents;
  std::vector<std::uint8_t> data;
};

std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// "0x00000803"
std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", unsigned(value));
  return text;
}

// Layout: magic [0, 0, 0x08 (uint8), rank], `rank` big-endian uint32 extents, prod(extents) bytes.
IdxBytes parse_idx(const std::string& path, std::vector<std::uint8_t> bytes, std::uint8_t rank) {
  const std::uint32_t expected_magic = 0x0800u | rank;
  if (bytes.size() < 4) fail(path, "too short for an IDX header");
  const std::uint32_t magic = big_endian_u32(bytes.data());
  if (magic != expected_magic)
    fail(path, "wrong magic " + hex32(magic) + ", expected " + hex32(expected_magic) +
                   (rank == 3 ? " (uint8 images [n, rows, cols])" : " (uint8 labels [n])"));
  const std::uint64_t header = 4 + 4 * std::uint64_t(rank);
  if (bytes.size() < header) fail(path, "truncated IDX header");
  const std::uint64_t available = bytes.size() - header;
  IdxBytes array;
  std::uint64_t elements = 1;
  for (std::uint8_t axis = 0; axis < rank; ++axis) {
    const std::uint32_t extent = big_endian_u32(bytes.data() + 4 + 4 * axis);
    if (extent == 0) fail(path, "extent " + std::to_string(axis) + " is zero");
    elements *= extent;  // stays below 2^64: checked against the bytes read before each product
    if (elements > available)
      fail(path, "truncated data: the extents need more than the " + std::to_string(available) +
                     " bytes present");
    array.extents.push_back(extent);
  }
  if (elements != available)
    fail(path, "the extents need " + std::to_string(elements) + " bytes but " +
                   std::to_string(available) + " follow the header");
  bytes.erase(bytes.begin(), bytes.begin() + std::ptrdiff_t(header));
  array.data = std::move(bytes);
  return array;
}

std::vector<std::string> digit_names(std::int64_t count) {
  std::vector<std::string> names;
  for (std::int64_t c = 0; c < count; ++c) names.push_back(std::to_string(c));
  return names;
}

// Prefers the uncompressed file when it sits next to the .gz one.
std::string existing_variant(const std::string& dir, const std::string& name) {
  const std::string plain = dir + "/" + name;
  return std::filesystem::exists(plain) ? plain : plain + ".gz";
}

}  // namespace

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  IdxBytes images = parse_idx(images_path, read_whole_file(images_path), 3);
  const IdxBytes labels = parse_idx(labels_path, read_whole_file(labels_path), 1);
  if (images.extents[0] != labels.extents[0])
    fail(labels_path, "holds " + std::to_string(labels.extents[0]) + " labels but '" +
                          images_path + "' holds " + std::to_string(images.extents[0]) +
                          " images");
  Dataset set;
  set.count = images.extents[0];
  set.channels = 1;
  set.height = images.extents[1];
  set.width = images.extents[2];
  set.pixels = std::move(images.data);
  set.labels.assign(labels.data.begin(), labels.data.end());
  const std::int64_t largest = *std::max_element(set.labels.begin(), set.labels.end());
  set.class_names = digit_names(std::max<std::int64_t>(10, largest + 1));
  return set;
}

Dataset load_fashion_mnist(Split split, const std::string& dir) {
  if (!std::filesystem::is_directory(dir))
    throw FileError("load_fashion_mnist: no directory '" + dir +
                    "'; install the Debian package 'dataset-fashion-mnist' or pass the folder "
                    "holding the IDX files");
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  Dataset set = load_idx(existing_variant(dir, prefix + "-images-idx3-ubyte"),
                         existing_variant(dir, prefix + "-labels-idx1-ubyte"));
  if (set.num_classes() != 10)
    fail(dir, "Fashion-MNIST labels must lie in 0..9, found " +
                  std::to_string(set.num_classes() - 1));
  set.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return set;
}

}  // namespace attrax::data
