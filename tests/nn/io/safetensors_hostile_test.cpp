// load_safetensors on hostile files: every malformed byte string is a FileError that names the file
// and the problem, never a crash or a huge allocation.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "crafted_safetensors.hpp"
#include "scratch_dir.hpp"

using namespace attrax;
using namespace attrax::testing;

namespace {

struct HostileCase {
  std::string problem;
  std::string bytes;
  std::string expected_word;  // must appear in the error message
};

// One F32 tensor [2] over 8 data bytes, with `entry` replacing its description.
std::string one_tensor(const std::string& entry, const std::string& data = std::string(8, '\0')) {
  return safetensors_file("{\"a\":" + entry + "}", data);
}

const std::string kZeros12(12, '\0');

std::vector<HostileCase> hostile_cases() {
  return {
      {"file shorter than 8 bytes", "\x01\x02\x03", "too short"},
      {"header length larger than the file", little_endian(100, 8) + "{}", "past the end"},
      {"header length above 100 MB", little_endian(200'000'000, 8) + "{}", "limit"},
      {"header length 2^64 - 1", little_endian(~0ull, 8) + "{}", "limit"},
      {"invalid JSON", safetensors_file("{\"a\": ", ""), "not valid JSON"},
      {"JSON that is not an object", safetensors_file("[1, 2]", ""), "not a JSON object"},
      {"nesting deeper than a header needs", safetensors_file("{\"a\":[[[[1]]]]}", ""), "nests"},
      {"entry that is not an object", one_tensor("5"), "entry 'a' is not an object"},
      {"missing dtype", one_tensor(R"({"shape":[2],"data_offsets":[0,8]})"), "no \"dtype\""},
      {"dtype that is not a string", one_tensor(R"({"dtype":4,"shape":[2],"data_offsets":[0,8]})"),
       "dtype"},
      {"unknown dtype Q7", one_tensor(R"({"dtype":"Q7","shape":[2],"data_offsets":[0,8]})"), "'Q7'"},
      {"missing shape", one_tensor(R"({"dtype":"F32","data_offsets":[0,8]})"), "no \"shape\""},
      {"negative shape extent", one_tensor(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"),
       "negative"},
      {"fractional shape extent", one_tensor(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,8]})"),
       "not an integer"},
      {"rank 7", one_tensor(R"({"dtype":"F32","shape":[1,1,1,1,1,1,2],"data_offsets":[0,8]})"),
       "rank 7"},
      {"extent above int64",
       one_tensor(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]})"), "overflow"},
      {"shape numel overflow",
       one_tensor(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]})"),
       "overflow"},
      {"numel overflow before a zero extent",
       one_tensor(R"({"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]})"),
       "overflow"},
      {"stride overflow after a zero extent",
       one_tensor(R"({"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]})"),
       "overflow"},
      {"byte size overflow",
       one_tensor(R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]})"), "overflow"},
      {"offsets not a pair", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"),
       "two non-negative integers"},
      {"negative offset", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"),
       "two non-negative integers"},
      {"offsets reversed", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"),
       "reversed"},
      {"offsets not matching the shape",
       one_tensor(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), "mismatch"},
      {"offsets beyond the data",
       one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", std::string(4, '\0')),
       "beyond"},
      {"overlapping ranges",
       safetensors_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                        kZeros12),
       "overlaps"},
      {"gap between ranges",
       safetensors_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                        kZeros12),
       "gap"},
      {"gap before the first tensor",
       one_tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), "gap"},
      {"trailing bytes after the last tensor",
       one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", kZeros12), "trailing"},
      {"metadata that is not an object", safetensors_file(R"({"__metadata__":[1]})", ""),
       "__metadata__"},
      {"non-string metadata value", safetensors_file(R"({"__metadata__":{"epoch":3}})", ""),
       "__metadata__ value of 'epoch'"},
  };
}

}  // namespace

TEST_CASE("safetensors hostile: every malformed file is a FileError naming the file and problem") {
  ScratchDir dir;
  int index = 0;
  for (const HostileCase& hostile : hostile_cases()) {
    const std::string path = dir.file("hostile-" + std::to_string(index++) + ".safetensors");
    write_bytes(path, hostile.bytes);
    const std::string message = load_error(path);
    INFO("case: " << hostile.problem << "\nmessage: " << message);
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find(hostile.expected_word) != std::string::npos);
  }
}

TEST_CASE("safetensors hostile: a missing file is a FileError naming it") {
  ScratchDir dir;
  const std::string path = dir.file("absent.safetensors");
  const std::string message = load_error(path);
  CHECK(message.find(path) != std::string::npos);
  CHECK(message.find("cannot open") != std::string::npos);
}

TEST_CASE("safetensors hostile: a directory is not a safetensors file") {
  ScratchDir dir;
  const std::string message = load_error(dir.file(""));
  CHECK(message.find("not a regular file") != std::string::npos);
}

TEST_CASE("safetensors hostile: the valid baseline of the battery loads") {
  // Guards the battery: each case must fail for its own defect, not for one shared by all.
  ScratchDir dir;
  const std::string path = dir.file("valid.safetensors");
  write_bytes(path, one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"));
  const nn::SafetensorsContents contents = nn::load_safetensors(path);
  REQUIRE(contents.tensors.size() == 1);
  CHECK(contents.tensors[0].tensor.to_vector() == std::vector<double>{0, 0});
}
