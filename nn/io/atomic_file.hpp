#pragma once
// Atomic file writes: the contents go to a temporary file in the same directory, which is flushed,
// synced and renamed over the destination, so readers see the old file or the complete new one, never
// a half-written one (also when the writer throws or the process is killed).
#include <functional>
#include <ostream>
#include <string>

namespace attrax::nn {

// Calls write(stream) on a temporary file next to `path`, then renames it to `path`. If write throws,
// or the stream fails, the temporary file is removed, `path` is left untouched, and FileError (or the
// writer's exception) propagates. FileError names the path when the directory is not writable.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace attrax::nn
