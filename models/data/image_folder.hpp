#pragma once
// A folder of images with one subfolder per class (torchvision's ImageFolder layout): classes are the
// subfolder names in sorted order, images the PNG / JPEG / BMP files inside (extension in any case,
// sorted by name; other files and names starting with '.' are skipped), decoded with stb_image and
// resized to height x width by bilinear interpolation as PyTorch's F.interpolate(mode="bilinear",
// align_corners=False, antialias=False), rounded to the nearest uint8.
#include <cstdint>
#include <string>

#include "models/data/dataset.hpp"

namespace attrax::data {

struct ImageFolderOptions {
  std::int64_t height = 32, width = 32;
  std::int64_t channels = 3;  // 1 (grey) or 3 (RGB); images are converted
};

// Throws FileError naming the file for an unreadable or undecodable image, for a root that is
// missing or holds no class folder, and for a class folder without images; ValueError for channels
// other than 1 or 3 and for height or width outside 1..8192.
Dataset load_image_folder(const std::string& root, const ImageFolderOptions& options = {});

// One image file decoded and resized as above: float32 [1, channels, height, width] = bytes / 255.
// FileError naming the file when it is missing or undecodable; ValueError as above for the sizes.
Tensor load_image(const std::string& file, std::int64_t channels, std::int64_t height, std::int64_t width);

}  // namespace attrax::data
