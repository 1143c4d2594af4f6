#pragma once
// IDX files (LeCun's MNIST format, also Fashion-MNIST): big-endian magic 0x00000803 (uint8 images
// [n, rows, cols]) or 0x00000801 (uint8 labels [n]), then the extents as big-endian uint32, then
// the bytes. Files ending in .gz are decompressed with zlib.
#include <string>

#include "models/data/dataset.hpp"

namespace attrax::data {

enum class Split { Train, Test };

// Loads an image file and its label file as one single-channel Dataset with class names "0".."9"
// (or as many as the largest label needs). Throws FileError naming the file for a missing file, a
// wrong magic, extents that disagree with the file size, truncated data, image and label counts that
// differ, or a .gz file in a build without zlib.
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST (train: 60,000, test: 10,000 images of 28x28) from `dir`, with the class names
// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot. Reads
// <split>-images-idx3-ubyte(.gz) and <split>-labels-idx1-ubyte(.gz) (split "train" or "t10k"),
// preferring the uncompressed file when both exist (for builds without zlib). A missing directory
// gives a FileError that names the Debian package.
Dataset load_fashion_mnist(Split split, const std::string& dir = kFashionMnistDir);

}  // namespace attrax::data
