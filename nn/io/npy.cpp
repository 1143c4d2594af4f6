#include "nn/io/npy.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "nn/io/atomic_file.hpp"

namespace attrax::nn {

namespace {

static_assert(std::endian::native == std::endian::little,
              "load_npy and save_npy copy little-endian data as is, so they need a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;

struct Header {
  DType dtype = DType::Float64;
  std::vector<std::int64_t> shape;
};

// Parses the header: a Python dict literal with exactly the keys 'descr', 'fortran_order' and
// 'shape', e.g. "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", padded with spaces
// and ended by a newline.
class HeaderParser {
 public:
  explicit HeaderParser(std::string text) : text_(std::move(text)) {}

  // Returns an empty string on success, else the problem.
  std::string parse(Header& header) {
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_spaces();
    if (!consume('{')) return "header does not start with '{'";
    skip_spaces();
    while (!consume('}')) {
      std::string key;
      if (!parse_string(key)) return "expected a quoted key in the header at offset " + where();
      skip_spaces();
      if (!consume(':')) return "expected ':' after key '" + key + "'";
      skip_spaces();
      std::string problem;
      if (key == "descr")
        problem = take_once(seen_descr, key, parse_descr(header.dtype));
      else if (key == "fortran_order")
        problem = take_once(seen_order, key, parse_order());
      else if (key == "shape")
        problem = take_once(seen_shape, key, parse_shape(header.shape));
      else
        problem = "unexpected header key '" + key + "'";
      if (!problem.empty()) return problem;
      skip_spaces();
      if (consume(','))
        skip_spaces();
      else if (peek() != '}')
        return "expected ',' or '}' in the header at offset " + where();
    }
    if (!seen_descr || !seen_order || !seen_shape)
      return "header lacks one of 'descr', 'fortran_order', 'shape'";
    skip_spaces();
    if (pos_ + 1 != text_.size() || text_[pos_] != '\n')
      return "header does not end with space padding and a newline";
    return "";
  }

 private:
  static std::string take_once(bool& seen, const std::string& key, std::string problem) {
    if (seen) return "header repeats key '" + key + "'";
    seen = true;
    return problem;
  }

  std::string parse_descr(DType& dtype) {
    std::string descr;
    if (!parse_string(descr)) return "'descr' is not a quoted string";
    if (descr == "<f8")
      dtype = DType::Float64;
    else if (descr == "<f4")
      dtype = DType::Float32;
    else if (descr == "<i8")
      dtype = DType::Int64;
    else
      return "unsupported dtype '" + descr + "' (expected '<f8', '<f4' or '<i8')";
    return "";
  }

  std::string parse_order() {
    if (text_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return "";
    }
    if (text_.compare(pos_, 4, "True") == 0) return "Fortran-order arrays are not supported";
    return "'fortran_order' is not True or False";
  }

  // "()", "(5,)", "(2, 3)"
  std::string parse_shape(std::vector<std::int64_t>& shape) {
    if (!consume('(')) return "'shape' is not a tuple";
    skip_spaces();
    while (!consume(')')) {
      std::int64_t dim = 0;
      if (!parse_dim(dim)) return "'shape' holds something other than a non-negative integer";
      shape.push_back(dim);
      skip_spaces();
      if (consume(','))
        skip_spaces();
      else if (peek() != ')')
        return "expected ',' or ')' in 'shape'";
    }
    return "";
  }

  bool parse_dim(std::int64_t& dim) {
    const std::size_t start = pos_;
    constexpr std::int64_t kLimit = std::int64_t(1) << 48;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      dim = dim * 10 + (text_[pos_++] - '0');
      if (dim > kLimit) return false;
    }
    return pos_ > start;
  }

  bool parse_string(std::string& out) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') return false;
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) return false;
    out = text_.substr(pos_ + 1, end - pos_ - 1);
    if (out.find('\\') != std::string::npos) return false;
    pos_ = end + 1;
    return true;
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void skip_spaces() {
    while (peek() == ' ') ++pos_;
  }
  std::string where() const { return std::to_string(pos_); }

  std::string text_;
  std::size_t pos_ = 0;
};

std::uint32_t little_endian(const std::string& bytes, std::size_t offset, std::size_t count) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < count; ++i)
    value |= std::uint32_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

struct NpyFile {
  std::string path;
  std::string bytes;  // the whole file
  Header header;
  std::size_t data_offset;  // where the array data starts
};

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw FileError("load_npy: '" + path + "': " + problem);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("load_npy: cannot open '" + path + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Magic string, version (1.0: 2-byte header length, 2.0: 4-byte), then the header.
NpyFile read_npy(const std::string& path) {
  NpyFile file{path, read_all(path), {}, 0};
  const std::string& bytes = file.bytes;
  if (bytes.size() < kMagicSize + 2 || bytes.compare(0, kMagicSize, kMagic) != 0)
    fail(path, "not a .npy file (bad magic string)");
  const int major = static_cast<unsigned char>(bytes[kMagicSize]);
  const int minor = static_cast<unsigned char>(bytes[kMagicSize + 1]);
  if ((major != 1 && major != 2) || minor != 0)
    fail(path, "unsupported format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0 or 2.0)");
  const std::size_t length_size = major == 1 ? 2 : 4;
  const std::size_t preamble = kMagicSize + 2 + length_size;
  if (bytes.size() < preamble) fail(path, "truncated before the header length");
  const std::size_t header_size = little_endian(bytes, kMagicSize + 2, length_size);
  if (bytes.size() - preamble < header_size)
    fail(path, "header of " + std::to_string(header_size) + " bytes runs past the end of the file");
  const std::string problem = HeaderParser(bytes.substr(preamble, header_size)).parse(file.header);
  if (!problem.empty()) fail(path, problem);
  file.data_offset = preamble + header_size;
  return file;
}

// The element count, after checking that the data is exactly what the shape and dtype need.
std::uint64_t checked_numel(const NpyFile& file) {
  const std::vector<std::int64_t>& shape = file.header.shape;
  if (shape.size() > std::size_t(Shape::kMaxRank))
    fail(file.path, "rank " + std::to_string(shape.size()) + " exceeds the maximum of " +
                        std::to_string(Shape::kMaxRank));
  const std::uint64_t item = dtype_size(file.header.dtype);
  std::uint64_t numel = 1;
  for (const std::int64_t dim : shape) {
    if (dim != 0 && numel > std::numeric_limits<std::uint64_t>::max() / item / std::uint64_t(dim))
      fail(file.path, "shape is too large to address");
    numel *= std::uint64_t(dim);
  }
  const std::uint64_t available = file.bytes.size() - file.data_offset;
  if (numel * item != available)
    fail(file.path, "shape needs " + std::to_string(numel * item) +
                        " bytes of data but the file has " + std::to_string(available));
  return numel;
}

// The version 1.0 header of a C-order array: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
// padded with spaces and ended by a newline so that the data starts at a multiple of 64 bytes.
std::string header_for(const Tensor& t) {
  std::string shape = "(";
  for (int axis = 0; axis < t.rank(); ++axis) shape += std::to_string(t.size(axis)) + ", ";
  if (t.rank() > 1) shape.resize(shape.size() - 2);
  if (t.rank() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  const char* descr = t.dtype() == DType::Float32 ? "<f4" : t.dtype() == DType::Float64 ? "<f8" : "<i8";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t preamble = kMagicSize + 4;
  const std::size_t padded = (preamble + header.size() + 1 + 63) / 64 * 64;
  header.append(padded - preamble - header.size() - 1, ' ');
  return header + "\n";
}

}  // namespace

void save_npy(const std::string& path, const Tensor& t) {
  if (!t.defined()) throw ValueError("save_npy: " + path + ": the tensor is undefined");
  if (t.dtype() != DType::Float32 && t.dtype() != DType::Float64 && t.dtype() != DType::Int64)
    throw ValueError("save_npy: " + path + ": only float32, float64 and int64 tensors can be saved");
  const std::string header = header_for(t);
  const std::size_t bytes = std::size_t(t.numel()) * dtype_size(t.dtype());
  write_file_atomically(path, [&](std::ostream& out) {
    const char version[2] = {1, 0};
    const char length[2] = {char(header.size() & 0xff), char(header.size() >> 8)};
    out.write(kMagic, kMagicSize).write(version, 2).write(length, 2);
    out.write(header.data(), std::streamsize(header.size()));
    visit_dtype(t.dtype(), [&]<class T>() {
      if (bytes > 0) out.write(reinterpret_cast<const char*>(t.data<T>()), std::streamsize(bytes));
    });
  });
}

Tensor load_npy(const std::string& path) {
  const NpyFile file = read_npy(path);
  const std::uint64_t numel = checked_numel(file);
  Tensor t = Tensor::empty(Shape(file.header.shape), file.header.dtype);
  visit_dtype(file.header.dtype, [&]<class T>() {
    if (numel > 0)
      std::memcpy(t.data<T>(), file.bytes.data() + file.data_offset, numel * sizeof(T));
  });
  return t;
}

}  // namespace attrax::nn
