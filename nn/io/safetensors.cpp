#include "nn/io/safetensors.hpp"

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/half_float.hpp"
#include "nn/io/safetensors_header.hpp"

namespace attrax::nn {

// Tensor bytes and the header length are little-endian in the file and copied as they are.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

namespace {

using namespace safetensors_format;

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
  Header header = parse_header(header_text, data_bytes);
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
