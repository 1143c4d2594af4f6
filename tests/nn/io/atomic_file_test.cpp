// write_file_atomically: replaces the file in one step, and on failure leaves the old file and no
// temporary behind.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "scratch_dir.hpp"

using namespace attrax;
using attrax::testing::read_bytes;
using attrax::testing::ScratchDir;
using attrax::testing::write_bytes;

namespace {

void write_text(const std::string& path, const std::string& text) {
  nn::write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace

TEST_CASE("atomic_file: creates a new file and replaces an existing one") {
  ScratchDir dir;
  const std::string path = dir.file("model.bin");
  write_text(path, "first");
  CHECK(read_bytes(path) == "first");
  write_text(path, "second, longer");
  CHECK(read_bytes(path) == "second, longer");
  CHECK(dir.listing() == std::vector<std::string>{"model.bin"});
}

TEST_CASE("atomic_file: a throwing writer leaves the old file intact and no temporary file") {
  ScratchDir dir;
  const std::string path = dir.file("model.bin");
  write_bytes(path, "old contents");
  const auto half_then_throw = [](std::ostream& out) {
    out << "half of the new contents";
    out.flush();
    throw std::runtime_error("writer gave up");
  };
  CHECK_THROWS_WITH_AS(nn::write_file_atomically(path, half_then_throw), "writer gave up",
                       std::runtime_error);
  CHECK(read_bytes(path) == "old contents");
  CHECK(dir.listing() == std::vector<std::string>{"model.bin"});
}

TEST_CASE("atomic_file: a throwing writer creates nothing when there was no file") {
  ScratchDir dir;
  const auto throwing = [](std::ostream&) { throw std::logic_error("no"); };
  CHECK_THROWS_AS(nn::write_file_atomically(dir.file("new.bin"), throwing), std::logic_error);
  CHECK(dir.listing().empty());
}

TEST_CASE("atomic_file: a failed stream is a FileError and keeps the old file") {
  ScratchDir dir;
  const std::string path = dir.file("model.bin");
  write_bytes(path, "old contents");
  const auto failing = [](std::ostream& out) {
    out << "partial";
    out.setstate(std::ios::badbit);
  };
  CHECK_THROWS_WITH_AS(nn::write_file_atomically(path, failing), doctest::Contains(path.c_str()),
                       FileError);
  CHECK(read_bytes(path) == "old contents");
  CHECK(dir.listing() == std::vector<std::string>{"model.bin"});
}

TEST_CASE("atomic_file: a missing directory is a FileError naming the path") {
  ScratchDir dir;
  const std::string path = dir.file("no-such-dir/model.bin");
  CHECK_THROWS_WITH_AS(write_text(path, "x"), doctest::Contains(path.c_str()), FileError);
  CHECK(dir.listing().empty());
}

TEST_CASE("atomic_file: a parent that is a regular file is a FileError naming the path") {
  ScratchDir dir;
  write_bytes(dir.file("plain"), "not a directory");
  const std::string path = dir.file("plain/model.bin");
  CHECK_THROWS_WITH_AS(write_text(path, "x"), doctest::Contains(path.c_str()), FileError);
  CHECK(dir.listing() == std::vector<std::string>{"plain"});
}

TEST_CASE("atomic_file: a destination that is a directory fails at the rename and cleans up") {
  ScratchDir dir;
  const std::string path = dir.file("occupied");
  std::filesystem::create_directory(path);
  write_bytes(dir.file("occupied/inside"), "kept");
  CHECK_THROWS_WITH_AS(write_text(path, "x"), doctest::Contains("renaming"), FileError);
  CHECK(dir.listing() == std::vector<std::string>{"occupied"});
  CHECK(read_bytes(dir.file("occupied/inside")) == "kept");
}
