#include "nn/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "engine/error.hpp"

namespace attrax::nn {

namespace {

std::string errno_message() { return std::generic_category().message(errno); }

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw FileError("write_file_atomically: cannot write '" + path + "': " + problem);
}

// "<path>.tmp-<pid>-<counter>": in the destination's directory (so the rename stays on one file
// system) and unique per process and per call (so concurrent writers never share a temporary).
std::string temporary_path_for(const std::string& path) {
  static std::atomic<unsigned long long> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// The temporary file's lifetime: removed on destruction unless it was renamed into place.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string path) : path_(std::move(path)) {}
  ~TemporaryFile() {
    if (!renamed_) std::remove(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  const std::string& path() const { return path_; }
  void mark_renamed() { renamed_ = true; }

 private:
  std::string path_;
  bool renamed_ = false;
};

// Forces the file's contents to the disk, so the rename never publishes a file whose data is still
// only in the page cache.
void sync_file(const std::string& file, const std::string& path) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot reopen the temporary file to sync it (" + errno_message() + ")");
  const bool synced = ::fsync(fd) == 0;
  const std::string sync_error = synced ? "" : errno_message();
  ::close(fd);
  if (!synced) fail(path, "fsync failed (" + sync_error + ")");
}

// Makes the rename itself durable. Best effort: the new contents are already in place when this runs,
// so a directory that cannot be synced is not an error.
void sync_directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string directory = parent.empty() ? "." : parent.string();
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void write_and_close(const TemporaryFile& temporary, const std::string& path,
                     const std::function<void(std::ostream&)>& write) {
  std::ofstream stream(temporary.path(), std::ios::binary | std::ios::trunc);
  if (!stream.is_open()) fail(path, "cannot create a temporary file there (" + errno_message() + ")");
  write(stream);
  // The stream's error state is sticky: one check after closing covers writing, flushing and closing.
  stream.close();
  if (!stream) fail(path, "writing the contents failed (a stream error, or the disk is full)");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  TemporaryFile temporary(temporary_path_for(path));
  write_and_close(temporary, path, write);
  sync_file(temporary.path(), path);
  if (std::rename(temporary.path().c_str(), path.c_str()) != 0) {
    fail(path, "renaming the temporary file over it failed (" + errno_message() + ")");
  }
  temporary.mark_renamed();
  sync_directory_of(path);
}

}  // namespace attrax::nn
