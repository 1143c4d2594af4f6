#pragma once
// NumPy's .npy files: raw attribution maps and adversarial images go out as .npy, and a strict
// reader brings arrays (images, fixtures) in.
//
// load_npy accepts format versions 1.0 and 2.0 holding a C-order little-endian '<f8', '<f4' or '<i8'
// array of rank <= 6 (rank 0 included). Anything else, a truncated file or trailing bytes throw
// FileError naming the file and what is wrong with it.
#include <string>

#include "engine/tensor.hpp"

namespace attrax::nn {

// file -> float64, float32 or int64 tensor of the stored shape
Tensor load_npy(const std::string& path);

// Writes a float32, float64 or int64 tensor as format 1.0, C order, data aligned to 64 bytes, as
// numpy.save does; atomically (a failed write leaves no file). ValueError for other tensors.
void save_npy(const std::string& path, const Tensor& t);

}  // namespace attrax::nn
