// save_safetensors / load_safetensors: round trips, the header layout, F16 / BF16 decoding and a
// state_dict written from PyTorch (tests/golden/make_safetensors_fixture.py).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crafted_safetensors.hpp"
#include "engine/error.hpp"
#include "engine/tensor.hpp"
#include "nn/io/safetensors.hpp"
#include "scratch_dir.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

std::vector<nn::NamedTensor> sample_tensors() {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  return {
      {"weights",
       Tensor::from_data(std::vector<float>{1.5f, -2.25f, 1e-30f, 3e30f, 0.1f, -0.0f}, {2, 3})},
      {"doubles", Tensor::from_data(std::vector<double>{0.1, -1e300, 5e-324, 42}, {4})},
      {"counts", Tensor::from_data(std::vector<std::int64_t>{kMin, -1, 0, kMax}, {2, 1, 2})},
      {"scalar", Tensor::scalar(7.25)},
      {"empty", Tensor::zeros({0, 3}, DType::Float64)},
  };
}

std::uint64_t header_length_of(const std::string& bytes) {
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
  return length;
}

nlohmann::json header_of(const std::string& bytes) {
  return nlohmann::json::parse(bytes.substr(8, header_length_of(bytes)));
}

void check_same_tensor(const nn::NamedTensor& loaded, const nn::NamedTensor& saved) {
  INFO("tensor " << saved.name);
  CHECK(loaded.name == saved.name);
  CHECK(loaded.tensor.dtype() == saved.tensor.dtype());
  CHECK(loaded.tensor.shape() == saved.tensor.shape());
  CHECK(loaded.tensor.to_vector() == saved.tensor.to_vector());
}

}  // namespace

TEST_CASE("safetensors: f32, f64, i64, a scalar and an empty tensor round trip with metadata") {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  const std::vector<nn::NamedTensor> saved = sample_tensors();
  const std::map<std::string, std::string> metadata = {{"attrax", R"({"arch": "test"})"},
                                                       {"note", "grüße"}};
  nn::save_safetensors(path, saved, metadata);
  const nn::SafetensorsContents loaded = nn::load_safetensors(path);
  REQUIRE(loaded.tensors.size() == saved.size());
  for (std::size_t i = 0; i < saved.size(); ++i) check_same_tensor(loaded.tensors[i], saved[i]);
  CHECK(loaded.metadata == metadata);
  CHECK(loaded.tensors[3].tensor.rank() == 0);
}

TEST_CASE("safetensors: tensors load in data-offset order, not name order") {
  ScratchDir dir;
  const std::string path = dir.file("order.safetensors");
  nn::save_safetensors(path, {{"zeta", Tensor::ones({2})}, {"alpha", Tensor::zeros({3})}});
  const nn::SafetensorsContents loaded = nn::load_safetensors(path);
  REQUIRE(loaded.tensors.size() == 2);
  CHECK(loaded.tensors[0].name == "zeta");
  CHECK(loaded.tensors[1].name == "alpha");
  CHECK(loaded.metadata.empty());
}

TEST_CASE("safetensors: the header is padded to 8 bytes and lays tensors out back to back") {
  ScratchDir dir;
  const std::string path = dir.file("layout.safetensors");
  nn::save_safetensors(path, sample_tensors(), {{"k", "v"}});
  const std::string bytes = read_bytes(path);
  const std::uint64_t header_length = header_length_of(bytes);
  CHECK(header_length % 8 == 0);
  const nlohmann::json header = header_of(bytes);
  CHECK(header["__metadata__"] == nlohmann::json{{"k", "v"}});
  std::uint64_t offset = 0;
  for (const nn::NamedTensor& named : sample_tensors()) {
    INFO("tensor " << named.name);
    const nlohmann::json& entry = header.at(named.name);
    const std::uint64_t bytes_needed = static_cast<std::uint64_t>(named.tensor.numel()) *
                                       dtype_size(named.tensor.dtype());
    CHECK(entry["data_offsets"] == nlohmann::json{offset, offset + bytes_needed});
    CHECK(entry["shape"] == nlohmann::json(named.tensor.shape().vec()));
    offset += bytes_needed;
  }
  CHECK(header["weights"]["dtype"] == "F32");
  CHECK(header["doubles"]["dtype"] == "F64");
  CHECK(header["counts"]["dtype"] == "I64");
  CHECK(bytes.size() == 8 + header_length + offset);
}

TEST_CASE("safetensors: empty metadata writes no __metadata__ entry") {
  ScratchDir dir;
  const std::string path = dir.file("plain.safetensors");
  nn::save_safetensors(path, {{"w", Tensor::ones({1})}});
  CHECK_FALSE(header_of(read_bytes(path)).contains("__metadata__"));
}

TEST_CASE("safetensors: save rejects empty, reserved and duplicate names and undefined tensors") {
  ScratchDir dir;
  const std::string path = dir.file("bad.safetensors");
  const Tensor t = Tensor::ones({1});
  CHECK_THROWS_WITH_AS(nn::save_safetensors(path, {{"", t}}), doctest::Contains("empty name"),
                       ValueError);
  CHECK_THROWS_WITH_AS(nn::save_safetensors(path, {{"__metadata__", t}}), doctest::Contains("reserved"),
                       ValueError);
  CHECK_THROWS_WITH_AS(nn::save_safetensors(path, {{"w", t}, {"w", t}}), doctest::Contains("duplicate"),
                       ValueError);
  CHECK_THROWS_WITH_AS(nn::save_safetensors(path, {{"w", Tensor()}}), doctest::Contains("undefined"),
                       ValueError);
  CHECK(dir.listing().empty());
}

TEST_CASE("safetensors: save into a missing directory is a FileError naming the path") {
  ScratchDir dir;
  const std::string path = dir.file("missing/model.safetensors");
  CHECK_THROWS_WITH_AS(nn::save_safetensors(path, {{"w", Tensor::ones({1})}}),
                       doctest::Contains(path.c_str()), FileError);
}

TEST_CASE("safetensors: F16 decodes normals, subnormals, zeros, infinities and nan to float32") {
  ScratchDir dir;
  const std::string path = dir.file("half.safetensors");
  // 1.0, -2.5, 65504 (largest), 2^-24 (smallest subnormal), 1023 * 2^-24 (largest subnormal),
  // 2^-14 (smallest normal), -0.0, +inf, -inf, nan
  const std::vector<std::uint16_t> halves = {0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff,
                                             0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00};
  write_bytes(path, safetensors_file(R"({"h":{"dtype":"F16","shape":[10],"data_offsets":[0,20]}})",
                                     words(halves)));
  const Tensor t = nn::load_safetensors(path).tensors.at(0).tensor;
  REQUIRE(t.dtype() == DType::Float32);
  const float* v = t.data<float>();
  CHECK(v[0] == 1.0f);
  CHECK(v[1] == -2.5f);
  CHECK(v[2] == 65504.0f);
  CHECK(v[3] == std::ldexp(1.0f, -24));
  CHECK(v[4] == 1023 * std::ldexp(1.0f, -24));
  CHECK(v[5] == std::ldexp(1.0f, -14));
  CHECK((v[6] == 0.0f && std::signbit(v[6])));
  CHECK((std::isinf(v[7]) && v[7] > 0));
  CHECK((std::isinf(v[8]) && v[8] < 0));
  CHECK(std::isnan(v[9]));
}

TEST_CASE("safetensors: BF16 decodes as the top half of a float32") {
  ScratchDir dir;
  const std::string path = dir.file("bfloat.safetensors");
  // 1.0, -2.5, 65280, 2^-24, 2^-133 (smallest subnormal), +inf, nan
  const std::vector<std::uint16_t> bfloats = {0x3f80, 0xc020, 0x477f, 0x3380, 0x0001, 0x7f80, 0x7fc0};
  write_bytes(path, safetensors_file(R"({"b":{"dtype":"BF16","shape":[7],"data_offsets":[0,14]}})",
                                     words(bfloats)));
  const Tensor t = nn::load_safetensors(path).tensors.at(0).tensor;
  REQUIRE(t.dtype() == DType::Float32);
  const float* v = t.data<float>();
  CHECK(v[0] == 1.0f);
  CHECK(v[1] == -2.5f);
  CHECK(v[2] == 65280.0f);
  CHECK(v[3] == std::ldexp(1.0f, -24));
  CHECK(v[4] == std::ldexp(1.0f, -133));
  CHECK((std::isinf(v[5]) && v[5] > 0));
  CHECK(std::isnan(v[6]));
}

TEST_CASE("safetensors: a PyTorch state_dict matches its JSON values element by element") {
  const std::string golden = std::string(ATTRAX_GOLDEN_DIR) + "/safetensors_torch_state";
  const nn::SafetensorsContents loaded = nn::load_safetensors(golden + ".safetensors");
  const nlohmann::json expected = nlohmann::json::parse(read_bytes(golden + ".json"));
  CHECK(loaded.metadata == expected["metadata"].get<std::map<std::string, std::string>>());
  CHECK(loaded.metadata.at("attrax") == R"({"arch": "test"})");
  REQUIRE(loaded.tensors.size() == expected["tensors"].size());
  for (const nn::NamedTensor& named : loaded.tensors) {
    INFO("tensor " << named.name);
    const nlohmann::json& entry = expected["tensors"].at(named.name);
    const DType dtype = entry["dtype"] == "I64" ? DType::Int64 : DType::Float32;
    CHECK(named.tensor.dtype() == dtype);
    CHECK(named.tensor.shape().vec() == entry["shape"].get<std::vector<std::int64_t>>());
    CHECK(named.tensor.to_vector() == entry["values"].get<std::vector<double>>());
  }
  CHECK(loaded.tensors.front().name == "0.weight");
  CHECK(loaded.tensors.back().name == "extra.bfloat16");
}

TEST_CASE("safetensors: the PyTorch fixture's num_batches_tracked is an int64 scalar") {
  const nn::SafetensorsContents loaded =
      nn::load_safetensors(std::string(ATTRAX_GOLDEN_DIR) + "/safetensors_torch_state.safetensors");
  const auto is_batches = [](const nn::NamedTensor& named) {
    return named.name == "1.num_batches_tracked";
  };
  const auto found = std::find_if(loaded.tensors.begin(), loaded.tensors.end(), is_batches);
  REQUIRE(found != loaded.tensors.end());
  CHECK(found->tensor.dtype() == DType::Int64);
  CHECK(found->tensor.rank() == 0);
  CHECK(found->tensor.item() == 1);
}
