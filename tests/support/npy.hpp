#pragma once
// The golden fixtures are read with the library's strict .npy reader.
#include "nn/io/npy.hpp"

namespace attrax::testing {

using nn::load_npy;

}  // namespace attrax::testing
