#pragma once
// PNG images out: adversarial examples and heatmaps, through stb_image_write.
#include <string>

#include "engine/tensor.hpp"

namespace attrax::nn {

// image: float32 [C, H, W] or [1, C, H, W] with C = 1 (grey) or 3 (RGB), values in [0, 1] (clamped);
// each value v becomes the byte round(255 v). Written atomically. ShapeError for another shape,
// ValueError for a NaN, FileError when the file cannot be written.
void save_png(const std::string& path, const Tensor& image);

}  // namespace attrax::nn
