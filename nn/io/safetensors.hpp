#pragma once
// safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length
// N, a JSON header of N bytes mapping each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end)} (offsets relative to the end of the header) plus an optional "__metadata__" object of string
// values, then the raw little-endian tensor bytes.
#include <map>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace attrax::nn {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct SafetensorsContents {
  std::vector<NamedTensor> tensors;            // in the order of their data offsets
  std::map<std::string, std::string> metadata; // "__metadata__"
};

// Writes float32 tensors as F32, float64 as F64 and int64 as I64, atomically (atomic_file.hpp).
// Throws ValueError for duplicate or empty names and undefined tensors, FileError when the file
// cannot be written.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads F32, F64 and I64 tensors as the same dtypes, and F16 / BF16 as float32. Trusts nothing in the
// file: a FileError naming the file and the problem for a missing or unreadable file, a header length
// beyond the file or above 100 MB, malformed JSON, an entry that is not an object, an unknown dtype,
// a shape with a negative extent or more than 6 axes, offsets out of order, overlapping, out of
// range or not matching the shape's byte size, gaps in the data, or a non-string metadata value.
SafetensorsContents load_safetensors(const std::string& path);

}  // namespace attrax::nn
