#include "models/data/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <memory>

#include "engine/error.hpp"

#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

namespace attrax::data {

namespace fs = std::filesystem;

namespace {

// Images are decoded to at most 8192 x 8192 before resizing; larger targets are surely a mistake.
constexpr std::int64_t kMaxSide = 8192;

void validate(const ImageFolderOptions& options) {
  if (options.channels != 1 && options.channels != 3)
    throw ValueError("load_image_folder: channels must be 1 (grey) or 3 (RGB), got " +
                     std::to_string(options.channels));
  for (const std::int64_t side : {options.height, options.width})
    if (side < 1 || side > kMaxSide)
      throw ValueError("load_image_folder: height and width must lie in 1.." +
                       std::to_string(kMaxSide) + ", got " + std::to_string(options.height) +
                       " x " + std::to_string(options.width));
}

bool is_hidden(const fs::path& path) { return path.filename().string().starts_with('.'); }

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// Entries of `dir` that pass `keep`, sorted by name.
template <class Keep>
std::vector<fs::path> sorted_entries(const fs::path& dir, Keep keep) {
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    if (!is_hidden(entry.path()) && keep(entry)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

// An 8-bit image with interleaved channels: pixels[(y * width + x) * channels + c].
struct Decoded {
  std::int64_t height = 0, width = 0, channels = 0;
  std::unique_ptr<std::uint8_t, void (*)(void*)> pixels{nullptr, stbi_image_free};
};

Decoded decode(const fs::path& file, std::int64_t channels) {
  int width = 0, height = 0, channels_in_file = 0;
  Decoded image;
  image.pixels.reset(
      stbi_load(file.string().c_str(), &width, &height, &channels_in_file, int(channels)));
  if (!image.pixels)
    throw FileError("load_image_folder: cannot decode '" + file.string() + "': " +
                    stbi_failure_reason());
  image.height = height;
  image.width = width;
  image.channels = channels;
  return image;
}

// Source coordinate of output pixel i when n_in pixels are resized to n_out, as PyTorch's bilinear
// interpolation with align_corners=false: s = (i + 0.5) * n_in / n_out - 0.5, clamped below at 0.
// The sample blends pixels `low` and `high` with weight `frac` on `high`.
struct Tap {
  std::int64_t low, high;
  float frac;
};

std::vector<Tap> bilinear_taps(std::int64_t n_in, std::int64_t n_out) {
  const float scale = float(n_in) / float(n_out);
  std::vector<Tap> taps;
  for (std::int64_t i = 0; i < n_out; ++i) {
    const float source = std::max((float(i) + 0.5f) * scale - 0.5f, 0.0f);
    const std::int64_t low = std::min(std::int64_t(source), n_in - 1);
    taps.push_back({low, std::min(low + 1, n_in - 1), source - float(low)});
  }
  return taps;
}

// Writes `image` resized bilinearly to height x width into planar out[c][y][x], rounded to uint8:
// v = (1 - fy) ((1 - fx) p[y0][x0] + fx p[y0][x1]) + fy ((1 - fx) p[y1][x0] + fx p[y1][x1]).
void resize_into(const Decoded& image, std::int64_t height, std::int64_t width, std::uint8_t* out) {
  const std::vector<Tap> rows = bilinear_taps(image.height, height);
  const std::vector<Tap> cols = bilinear_taps(image.width, width);
  const std::int64_t C = image.channels;
  const auto at = [&](std::int64_t y, std::int64_t x, std::int64_t c) {
    return float(image.pixels.get()[(y * image.width + x) * C + c]);
  };
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x) {
        const Tap& r = rows[std::size_t(y)];
        const Tap& k = cols[std::size_t(x)];
        const float top = (1 - k.frac) * at(r.low, k.low, c) + k.frac * at(r.low, k.high, c);
        const float bottom = (1 - k.frac) * at(r.high, k.low, c) + k.frac * at(r.high, k.high, c);
        const float value = (1 - r.frac) * top + r.frac * bottom;
        out[(c * height + y) * width + x] =
            std::uint8_t(std::lround(std::clamp(value, 0.0f, 255.0f)));
      }
}

}  // namespace

Dataset load_image_folder(const std::string& root, const ImageFolderOptions& options) {
  validate(options);
  if (!fs::is_directory(root))
    throw FileError("load_image_folder: '" + root + "' is not a directory");
  const std::vector<fs::path> class_dirs =
      sorted_entries(root, [](const fs::directory_entry& e) { return e.is_directory(); });
  if (class_dirs.empty())
    throw FileError("load_image_folder: '" + root + "' holds no class subfolder");
  Dataset set;
  set.channels = options.channels;
  set.height = options.height;
  set.width = options.width;
  const std::int64_t image_bytes = set.channels * set.height * set.width;
  for (const fs::path& class_dir : class_dirs) {
    const std::vector<fs::path> files = sorted_entries(class_dir, [](const fs::directory_entry& e) {
      return e.is_regular_file() && has_image_extension(e.path());
    });
    if (files.empty())
      throw FileError("load_image_folder: class folder '" + class_dir.string() +
                      "' holds no .png, .jpg, .jpeg or .bmp file");
    const std::int64_t label = set.num_classes();
    set.class_names.push_back(class_dir.filename().string());
    for (const fs::path& file : files) {
      const Decoded image = decode(file, set.channels);
      set.pixels.resize(set.pixels.size() + std::size_t(image_bytes));
      resize_into(image, set.height, set.width, set.pixels.data() + set.count * image_bytes);
      set.labels.push_back(label);
      ++set.count;
    }
  }
  return set;
}

Tensor load_image(const std::string& file, std::int64_t channels, std::int64_t height, std::int64_t width) {
  validate({.height = height, .width = width, .channels = channels});
  if (!fs::is_regular_file(file)) throw FileError("load_image: '" + file + "' is not a readable file");
  const Decoded image = decode(file, channels);
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(channels * height * width));
  resize_into(image, height, width, pixels.data());
  // x = byte / 255
  std::vector<float> values(pixels.size());
  for (std::size_t i = 0; i < pixels.size(); ++i) values[i] = float(pixels[i]) / 255.0f;
  return Tensor::from_data(values, {1, channels, height, width});
}

}  // namespace attrax::data
