#pragma once
// The JSON header of a safetensors file: its element types and the validation of every entry
// (dtype, shape, data offsets, the tiling of the data region, metadata). Internal to nn/io.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dtype.hpp"
#include "engine/shape.hpp"

namespace attrax::nn::safetensors_format {

inline constexpr std::uint64_t kHeaderLengthBytes = 8;
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's cap
inline constexpr std::string_view kMetadataKey = "__metadata__";

enum class Decoding { Copy, Half, BFloat16 };

struct FileDType {
  std::string_view name;
  std::uint64_t bytes;
  DType loaded_as;
  Decoding decoding;
};

inline constexpr FileDType kFileDTypes[] = {
    {"F32", 4, DType::Float32, Decoding::Copy},  {"F64", 8, DType::Float64, Decoding::Copy},
    {"I64", 8, DType::Int64, Decoding::Copy},    {"F16", 2, DType::Float32, Decoding::Half},
    {"BF16", 2, DType::Float32, Decoding::BFloat16},
};

// The file's name of an attrax dtype: "F32", "F64", "I64".
const char* file_dtype_name(DType dtype);

// A problem with the file's contents; load_safetensors adds the path.
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Entry {
  std::string name;
  const FileDType* dtype;
  Shape shape;
  std::uint64_t begin;  // [begin, end) within the data region
  std::uint64_t end;
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offsets
  std::map<std::string, std::string> metadata;
};

// 'text'
std::string in_quotes(std::string_view text);
// tensor 'name'
std::string tensor_label(std::string_view name);

// Parses and validates the header text for a data region of data_bytes bytes: entries sorted by
// offset that tile the region exactly. Throws Malformed describing the first problem.
Header parse_header(const std::string& text, std::uint64_t data_bytes);

}  // namespace attrax::nn::safetensors_format
