#include "nn/io/png.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

// static: the functions stay private to this file, so other users of stb_image_write do not clash.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "engine/error.hpp"
#include "nn/io/atomic_file.hpp"

namespace attrax::nn {
namespace {

// [C, H, W] floats in [0, 1] -> interleaved bytes [H, W, C], byte = round(255 · clamp(v, 0, 1))
std::vector<std::uint8_t> interleaved_bytes(const Tensor& image, const std::string& path) {
  const std::int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  const Tensor values = image.dtype() == DType::Float32 ? image : image.to(DType::Float32);
  const float* v = values.data<float>();
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(c * h * w));
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t i = 0; i < h * w; ++i) {
      const float x = v[ch * h * w + i];
      if (std::isnan(x)) throw ValueError("save_png: " + path + ": the image has a NaN");
      bytes[std::size_t(i * c + ch)] = std::uint8_t(std::lround(255.0 * std::fmin(std::fmax(x, 0.0f), 1.0f)));
    }
  return bytes;
}

void append_to_stream(void* context, void* data, int size) {
  static_cast<std::ostream*>(context)->write(static_cast<const char*>(data), size);
}

}  // namespace

void save_png(const std::string& path, const Tensor& image) {
  Tensor chw = image;
  if (chw.defined() && chw.rank() == 4 && chw.size(0) == 1)
    chw = chw.reshape({chw.size(1), chw.size(2), chw.size(3)});
  if (!chw.defined() || chw.rank() != 3 || (chw.size(0) != 1 && chw.size(0) != 3) ||
      chw.dtype() == DType::Int64 || chw.size(1) < 1 || chw.size(2) < 1)
    throw ShapeError("save_png: " + path + ": expected a float image [C, H, W] with C = 1 or 3, got " +
                     (image.defined() ? image.shape().str() : std::string("an undefined tensor")));
  const std::vector<std::uint8_t> bytes = interleaved_bytes(chw, path);
  const int c = int(chw.size(0)), h = int(chw.size(1)), w = int(chw.size(2));
  write_file_atomically(path, [&](std::ostream& out) {
    if (!stbi_write_png_to_func(append_to_stream, &out, w, h, c, bytes.data(), w * c))
      throw FileError("save_png: " + path + ": the PNG encoder failed");
  });
}

}  // namespace attrax::nn
