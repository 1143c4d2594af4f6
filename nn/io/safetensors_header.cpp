#include "nn/io/safetensors_header.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

namespace attrax::nn::safetensors_format {

std::string in_quotes(std::string_view text) { return std::string("'").append(text).append("'"); }

std::string tensor_label(std::string_view name) { return "tensor " + in_quotes(name); }

const char* file_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
  }
  return "?";
}

namespace {

using Json = nlohmann::json;

// A valid header nests three containers deep ({name: {"shape": [...]}}); deeper input is rejected
// while parsing, before it can cost memory.
constexpr int kMaxJsonDepth = 3;
constexpr auto kMaxInt64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

const FileDType* find_file_dtype(std::string_view name) {
  for (const FileDType& dtype : kFileDTypes)
    if (dtype.name == name) return &dtype;
  return nullptr;
}

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

Header parse_header_json_object(const Json& json, std::uint64_t data_bytes) {
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

}  // namespace

Header parse_header(const std::string& text, std::uint64_t data_bytes) {
  return parse_header_json_object(parse_header_json(text), data_bytes);
}

}  // namespace attrax::nn::safetensors_format
