#include "nn/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <tuple>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "nn/io/atomic_file.hpp"

namespace attrax::nn {

// Tensor bytes and the header length are little-endian in the file and copied as they are.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kHeaderLengthBytes = 8;
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's cap
// A valid header nests three containers deep ({name: {"shape": [...]}}); deeper input is rejected
// while parsing, before it can cost memory.
constexpr int kMaxJsonDepth = 3;
constexpr std::string_view kMetadataKey = "__metadata__";
constexpr auto kMaxInt64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// ---------------------------------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------------------------------

enum class Decoding { Copy, Half, BFloat16 };

struct FileDType {
  std::string_view name;
  std::uint64_t bytes;
  DType loaded_as;
  Decoding decoding;
};

constexpr FileDType kFileDTypes[] = {
    {"F32", 4, DType::Float32, Decoding::Copy},  {"F64", 8, DType::Float64, Decoding::Copy},
    {"I64", 8, DType::Int64, Decoding::Copy},    {"F16", 2, DType::Float32, Decoding::Half},
    {"BF16", 2, DType::Float32, Decoding::BFloat16},
};

const FileDType* find_file_dtype(std::string_view name) {
  for (const FileDType& dtype : kFileDTypes)
    if (dtype.name == name) return &dtype;
  return nullptr;
}

const char* file_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
  }
  return "?";
}

// IEEE half (1 sign, 5 exponent bits biased by 15, 10 mantissa bits) to float (8 exponent bits biased
// by 127, 23 mantissa bits):
//   exponent 1..30: normal, (-1)^s * 1.m * 2^(e-15)  -> float exponent e + 112, mantissa m << 13
//   exponent 31:    inf (m = 0) or nan              -> float exponent 255, mantissa m << 13
//   exponent 0:     zero (m = 0) or subnormal m * 2^-24; with p the top set bit of m that is
//                   2^(p-24) * (m / 2^p), a normal float with exponent p + 103 and mantissa
//                   m << (23 - p) without its leading bit
float float_from_half(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fu;
  const std::uint32_t mantissa = half & 0x3ffu;
  std::uint32_t bits = sign;
  if (exponent == 0x1f) {
    bits |= 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits |= ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {
    const int top_bit = std::bit_width(mantissa) - 1;
    const auto float_exponent = static_cast<std::uint32_t>(top_bit + 103);
    bits |= (float_exponent << 23) | ((mantissa << (23 - top_bit)) & 0x7fffffu);
  }
  return std::bit_cast<float>(bits);
}

// bfloat16 is the top half of a float32.
float float_from_bfloat16(std::uint16_t bfloat) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bfloat) << 16);
}

// The tensor's contiguous element buffer of numel * dtype_size bytes.
void* element_buffer(Tensor& t) {
  switch (t.dtype()) {
    case DType::Float32: return t.data<float>();
    case DType::Float64: return t.data<double>();
    case DType::Int64: return t.data<std::int64_t>();
  }
  return nullptr;
}

const void* element_buffer(const Tensor& t) {
  switch (t.dtype()) {
    case DType::Float32: return t.data<float>();
    case DType::Float64: return t.data<double>();
    case DType::Int64: return t.data<std::int64_t>();
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------
// Reading: every problem is a Malformed carrying its description; load_safetensors adds the path.
// ---------------------------------------------------------------------------------------------------

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

std::string in_quotes(std::string_view text) { return std::string("'").append(text).append("'"); }

std::string tensor_label(std::string_view name) { return "tensor " + in_quotes(name); }

std::optional<std::uint64_t> checked_multiply(std::uint64_t a, std::uint64_t b, std::uint64_t limit) {
  if (a != 0 && b > limit / a) return std::nullopt;
  return a * b;
}

bool is_negative_integer(const Json& value) {
  return value.is_number_integer() && !value.is_number_unsigned() && value.get<std::int64_t>() < 0;
}

// A JSON integer >= 0; anything else (negative, fractional, not a number) throws `problem`.
std::uint64_t non_negative_integer(const Json& value, const std::string& problem) {
  if (!value.is_number_integer() || is_negative_integer(value)) throw Malformed(problem);
  return value.is_number_unsigned() ? value.get<std::uint64_t>()
                                    : static_cast<std::uint64_t>(value.get<std::int64_t>());
}

const Json& member(const Json& entry, const char* key, const std::string& name) {
  const auto it = entry.find(key);
  if (it == entry.end()) throw Malformed(tensor_label(name) + " has no \"" + key + "\"");
  return *it;
}

const FileDType& parse_dtype(const Json& entry, const std::string& name) {
  const Json& dtype = member(entry, "dtype", name);
  if (!dtype.is_string()) throw Malformed(tensor_label(name) + " has a \"dtype\" that is not a string");
  const FileDType* found = find_file_dtype(dtype.get_ref<const std::string&>());
  if (!found) {
    throw Malformed(tensor_label(name) + " has unsupported dtype " +
                    in_quotes(dtype.get_ref<const std::string&>()) +
                    " (supported: F32, F64, I64, F16, BF16)");
  }
  return *found;
}

std::int64_t parse_extent(const Json& extent, const std::string& name) {
  if (is_negative_integer(extent)) {
    throw Malformed(tensor_label(name) + " has a negative shape extent " + extent.dump());
  }
  const std::uint64_t value = non_negative_integer(
      extent, tensor_label(name) + " has a shape extent that is not an integer: " + extent.dump());
  if (value > kMaxInt64) {
    throw Malformed(tensor_label(name) + " has a shape extent " + extent.dump() +
                    " that would overflow int64");
  }
  return static_cast<std::int64_t>(value);
}

// The product of the non-zero extents must fit in int64, so that numel (left to right) and strides
// (right to left) cannot overflow: a zero extent excuses neither [2^40, 2^40, 0] nor [0, 2^40, 2^40].
void check_element_count(const std::vector<std::int64_t>& extents, const std::string& name) {
  std::uint64_t product = 1;
  for (const std::int64_t extent : extents) {
    if (extent == 0) continue;
    const auto next = checked_multiply(product, static_cast<std::uint64_t>(extent), kMaxInt64);
    if (!next) {
      throw Malformed(tensor_label(name) + " has a shape whose element count would overflow int64");
    }
    product = *next;
  }
}

Shape parse_shape(const Json& entry, const std::string& name) {
  const Json& shape = member(entry, "shape", name);
  if (!shape.is_array()) throw Malformed(tensor_label(name) + " has a \"shape\" that is not an array");
  if (shape.size() > static_cast<std::size_t>(Shape::kMaxRank)) {
    throw Malformed(tensor_label(name) + " has rank " + std::to_string(shape.size()) +
                    ", more than the " + std::to_string(Shape::kMaxRank) + " axes attrax supports");
  }
  std::vector<std::int64_t> extents;
  for (const Json& extent : shape) extents.push_back(parse_extent(extent, name));
  check_element_count(extents, name);
  return Shape(extents);
}

// [begin, end) must lie in the data region and hold exactly numel * element size bytes.
void parse_offsets(const Json& json, std::uint64_t data_bytes, Entry& entry) {
  const Json& offsets = member(json, "data_offsets", entry.name);
  const std::string where = tensor_label(entry.name) + " has data_offsets " + offsets.dump();
  const std::string not_a_pair = where + ", not two non-negative integers";
  if (!offsets.is_array() || offsets.size() != 2) throw Malformed(not_a_pair);
  const std::uint64_t begin = non_negative_integer(offsets[0], not_a_pair);
  const std::uint64_t end = non_negative_integer(offsets[1], not_a_pair);
  if (begin > end) throw Malformed(where + ", which are reversed (begin > end)");
  if (end > data_bytes) {
    throw Malformed(where + ", which go beyond the " + std::to_string(data_bytes) + "-byte data region");
  }
  const auto numel = static_cast<std::uint64_t>(entry.shape.numel());
  const auto needed =
      checked_multiply(numel, entry.dtype->bytes, std::numeric_limits<std::uint64_t>::max());
  if (!needed) throw Malformed(tensor_label(entry.name) + " has a byte size that would overflow");
  if (end - begin != *needed) {
    throw Malformed(where + " spanning " + std::to_string(end - begin) +
                    " bytes, a size mismatch with shape " + entry.shape.str() + " of " +
                    std::string(entry.dtype->name) + " (" + std::to_string(*needed) + " bytes)");
  }
  entry.begin = begin;
  entry.end = end;
}

Entry parse_entry(const std::string& name, const Json& json, std::uint64_t data_bytes) {
  if (!json.is_object()) throw Malformed("the header entry " + in_quotes(name) + " is not an object");
  Entry entry{name, &parse_dtype(json, name), parse_shape(json, name), 0, 0};
  parse_offsets(json, data_bytes, entry);
  return entry;
}

std::map<std::string, std::string> parse_metadata(const Json& json) {
  if (!json.is_object()) throw Malformed("__metadata__ is not an object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) {
      throw Malformed("__metadata__ value of " + in_quotes(key) + " is not a string");
    }
    metadata[key] = value.get<std::string>();
  }
  return metadata;
}

// safetensors' rule: sorted by [begin, end), the byte ranges tile the data region exactly, with no gap,
// no overlap and nothing after the last tensor.
void check_tiling(const std::vector<Entry>& entries, std::uint64_t data_bytes) {
  std::uint64_t covered = 0;
  for (const Entry& entry : entries) {
    const std::string starts =
        tensor_label(entry.name) + " starts at data byte " + std::to_string(entry.begin);
    if (entry.begin > covered) {
      throw Malformed(starts + ", leaving a gap after byte " + std::to_string(covered));
    }
    if (entry.begin < covered) {
      throw Malformed(starts + ", which overlaps the tensor before it (ending at byte " +
                      std::to_string(covered) + ")");
    }
    covered = entry.end;
  }
  if (covered != data_bytes) {
    throw Malformed(std::to_string(data_bytes - covered) + " trailing bytes follow the last tensor");
  }
}

// Rejects nesting deeper than kMaxJsonDepth as soon as the parser opens it.
Json parse_header_json(const std::string& text) {
  const Json::parser_callback_t limit_depth = [](int depth, Json::parse_event_t event, Json&) {
    const bool opens =
        event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
    if (opens && depth >= kMaxJsonDepth) {
      throw Malformed("the header nests more than " + std::to_string(kMaxJsonDepth) + " levels deep");
    }
    return true;
  };
  try {
    return Json::parse(text, limit_depth);
  } catch (const Json::exception& e) {
    throw Malformed(std::string("the header is not valid JSON: ") + e.what());
  }
}

class FileReader {
 public:
  explicit FileReader(const std::string& path) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (error) throw Malformed("cannot open it: " + error.message());
    if (!std::filesystem::is_regular_file(status)) {
      throw Malformed("cannot open it: not a regular file");
    }
    size_ = std::filesystem::file_size(path, error);
    if (error) throw Malformed("cannot read its size: " + error.message());
    stream_.open(path, std::ios::binary);
    if (!stream_) throw Malformed("cannot open it for reading");
  }

  std::uint64_t size() const { return size_; }

  void read(void* destination, std::uint64_t bytes, const std::string& what) {
    stream_.read(static_cast<char*>(destination), static_cast<std::streamsize>(bytes));
    if (static_cast<std::uint64_t>(stream_.gcount()) != bytes) {
      throw Malformed("the file ends inside " + what);
    }
  }

 private:
  std::ifstream stream_;
  std::uint64_t size_ = 0;
};

// The 8-byte little-endian header length N, checked against the file and the cap before anything
// is allocated for it.
std::uint64_t read_header_length(FileReader& file) {
  if (file.size() < kHeaderLengthBytes) {
    throw Malformed("the file is too short (" + std::to_string(file.size()) +
                    " bytes) to hold the 8-byte header length");
  }
  std::uint64_t length = 0;
  file.read(&length, kHeaderLengthBytes, "the header length");
  if (length > kMaxHeaderBytes) {
    throw Malformed("the header length " + std::to_string(length) + " is above the limit of 100 MB");
  }
  if (length > file.size() - kHeaderLengthBytes) {
    throw Malformed("the header length " + std::to_string(length) + " runs past the end of the " +
                    std::to_string(file.size()) + "-byte file");
  }
  return length;
}

struct Header {
  std::vector<Entry> entries;  // sorted by data offsets
  std::map<std::string, std::string> metadata;
};

Header parse_header(const Json& json, std::uint64_t data_bytes) {
  if (!json.is_object()) throw Malformed("the header is not a JSON object");
  Header header;
  for (const auto& [key, value] : json.items()) {
    if (key == kMetadataKey) {
      header.metadata = parse_metadata(value);
    } else {
      header.entries.push_back(parse_entry(key, value, data_bytes));
    }
  }
  std::sort(header.entries.begin(), header.entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  check_tiling(header.entries, data_bytes);
  return header;
}

// F16 and BF16 elements widen to float32 one by one.
void read_half_elements(FileReader& file, const Entry& entry, Tensor& t) {
  std::vector<std::uint16_t> halves(static_cast<std::size_t>(t.numel()));
  file.read(halves.data(), entry.end - entry.begin, tensor_label(entry.name));
  const auto widen = entry.dtype->decoding == Decoding::Half ? float_from_half : float_from_bfloat16;
  float* out = t.data<float>();
  for (std::size_t i = 0; i < halves.size(); ++i) out[i] = widen(halves[i]);
}

Tensor read_tensor(FileReader& file, const Entry& entry) {
  Tensor t = Tensor::empty(entry.shape, entry.dtype->loaded_as);
  if (entry.dtype->decoding == Decoding::Copy) {
    file.read(element_buffer(t), entry.end - entry.begin, tensor_label(entry.name));
  } else {
    read_half_elements(file, entry, t);
  }
  return t;
}

// Layout: [N: u64 little-endian][N bytes of JSON][data region]; tensors are read in offset order,
// which the tiling check makes one sequential pass over the data region.
SafetensorsContents read_contents(const std::string& path) {
  FileReader file(path);
  const std::uint64_t header_length = read_header_length(file);
  std::string header_text(header_length, '\0');
  file.read(header_text.data(), header_length, "the header");
  const std::uint64_t data_bytes = file.size() - kHeaderLengthBytes - header_length;
  Header header = parse_header(parse_header_json(header_text), data_bytes);
  SafetensorsContents contents{{}, std::move(header.metadata)};
  for (const Entry& entry : header.entries) {
    contents.tensors.push_back({entry.name, read_tensor(file, entry)});
  }
  return contents;
}

// ---------------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------------

void check_savable(const std::vector<NamedTensor>& tensors) {
  std::set<std::string> seen;
  for (const NamedTensor& named : tensors) {
    if (named.name.empty()) throw ValueError("save_safetensors: a tensor has an empty name");
    if (named.name == kMetadataKey) {
      throw ValueError("save_safetensors: '__metadata__' is reserved for metadata, not a tensor name");
    }
    if (!seen.insert(named.name).second) {
      throw ValueError("save_safetensors: duplicate tensor name " + in_quotes(named.name));
    }
    if (!named.tensor.defined()) {
      throw ValueError("save_safetensors: " + tensor_label(named.name) + " is undefined");
    }
  }
}

std::uint64_t byte_size(const Tensor& t) {
  return static_cast<std::uint64_t>(t.numel()) * dtype_size(t.dtype());
}

// {"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end)}, ...} with the tensors
// in the given order and back to back, padded with spaces to a multiple of 8 bytes so the data region
// starts aligned (as the reference implementation does).
std::string make_header(const std::vector<NamedTensor>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  std::uint64_t offset = 0;
  for (const NamedTensor& named : tensors) {
    const std::uint64_t end = offset + byte_size(named.tensor);
    header[named.name] = {{"dtype", file_dtype_name(named.tensor.dtype())},
                          {"shape", named.tensor.shape().vec()},
                          {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::ordered_json::exception& e) {
    throw ValueError(std::string("save_safetensors: a tensor name or metadata string is not UTF-8: ") +
                     e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

SafetensorsContents load_safetensors(const std::string& path) {
  try {
    return read_contents(path);
  } catch (const Malformed& e) {
    throw FileError("load_safetensors: '" + path + "': " + e.what());
  }
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  check_savable(tensors);
  const std::string header = make_header(tensors, metadata);
  write_file_atomically(path, [&](std::ostream& out) {
    const std::uint64_t header_length = header.size();
    out.write(reinterpret_cast<const char*>(&header_length), sizeof header_length);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const NamedTensor& named : tensors) {
      out.write(static_cast<const char*>(element_buffer(named.tensor)),
                static_cast<std::streamsize>(byte_size(named.tensor)));
    }
  });
}

}  // namespace attrax::nn
