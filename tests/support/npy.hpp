#pragma once
// A strict reader for NumPy's .npy files, for the golden fixtures.
//
// Accepts format versions 1.0 and 2.0 holding a C-order little-endian '<f8', '<f4' or '<i8' array
// of rank <= 6 (rank 0 included). Anything else, a truncated file or trailing bytes throw
// attrax::Error naming the file and what is wrong with it.
#include <string>

#include "engine/tensor.hpp"

namespace attrax::testing {

// file -> float64, float32 or int64 tensor of the stored shape
Tensor load_npy(const std::string& path);

}  // namespace attrax::testing
