#pragma once
// A folder of images with one subfolder per class (torchvision's ImageFolder layout): classes are the
// subfolder names in sorted order, images the PNG / JPEG / BMP files inside, decoded with stb_image
// and resized (bilinear) to height x width.
#include <cstdint>
#include <string>

#include "models/data/dataset.hpp"

namespace attrax::data {

struct ImageFolderOptions {
  std::int64_t height = 32, width = 32;
  std::int64_t channels = 3;  // 1 (grey) or 3 (RGB); images are converted
};

// Throws FileError naming the file for an unreadable or undecodable image, and for a root that is
// missing or holds no class folder with images; ValueError for bad options.
Dataset load_image_folder(const std::string& root, const ImageFolderOptions& options = {});

}  // namespace attrax::data
