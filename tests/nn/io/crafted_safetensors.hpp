#pragma once
// Builds safetensors files byte by byte, so tests can feed the reader exactly what they mean to.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "nn/io/safetensors.hpp"

namespace attrax::testing {

// `value` as `bytes` little-endian bytes.
inline std::string little_endian(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// [8-byte little-endian header length][header][data]
inline std::string safetensors_file(const std::string& header, const std::string& data) {
  return little_endian(header.size(), 8) + header + data;
}

// 16-bit words (F16 / BF16 elements) as file bytes.
inline std::string words(const std::vector<std::uint16_t>& values) {
  std::string out;
  for (const std::uint16_t value : values) out += little_endian(value, 2);
  return out;
}

// The message of the FileError load_safetensors throws for `path`, or a note that it threw none.
inline std::string load_error(const std::string& path) {
  try {
    nn::load_safetensors(path);
  } catch (const FileError& e) {
    return e.what();
  }
  return "(no FileError was thrown)";
}

}  // namespace attrax::testing
