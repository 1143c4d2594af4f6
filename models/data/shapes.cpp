#include "models/data/shapes.hpp"

#include <array>
#include <cmath>

#include "engine/error.hpp"
#include "engine/random.hpp"

namespace attrax::data {

namespace {

enum class Kind { Circle, Square, Triangle, Cross, Ring, Diamond };
const std::array<const char*, 6> kKindNames = {"circle", "square", "triangle",
                                               "cross",  "ring",   "diamond"};

constexpr double kPi = 3.14159265358979323846;

void validate(const ShapesOptions& options) {
  const auto bad = [](const std::string& what) { throw ValueError("make_shapes: " + what); };
  if (options.count < 1) bad("count must be at least 1, got " + std::to_string(options.count));
  if (options.size < 16) bad("size must be at least 16, got " + std::to_string(options.size));
  if (options.channels != 1 && options.channels != 3)
    bad("channels must be 1 or 3, got " + std::to_string(options.channels));
  if (options.num_classes < 2 || options.num_classes > 6)
    bad("num_classes must lie in 2..6, got " + std::to_string(options.num_classes));
}

double uniform(Generator& gen) {
  double u = 0;
  gen.fill_uniform(&u, 1);
  return u;
}

// A shape centred at (cx, cy) whose points lie within `half` of the centre along each axis.
struct Placed {
  Kind kind;
  double cx, cy, half;
};

// Half-extent giving the shape the area `area` (in pixels):
// circle pi r^2, square (2a)^2, triangle 2a^2, cross 20 a^2 / 9 (arms 2a long, 2a/3 thick),
// ring 3 pi r^2 / 4 (inner radius r/2), diamond 2a^2.
double half_extent_for_area(Kind kind, double area) {
  switch (kind) {
    case Kind::Circle: return std::sqrt(area / kPi);
    case Kind::Square: return std::sqrt(area) / 2;
    case Kind::Triangle: return std::sqrt(area / 2);
    case Kind::Cross: return std::sqrt(area * 9 / 20);
    case Kind::Ring: return std::sqrt(area * 4 / (3 * kPi));
    case Kind::Diamond: return std::sqrt(area / 2);
  }
  return 0;
}

// Whether the point (dx, dy) from the centre lies in the shape of half-extent a (y points down).
bool contains(Kind kind, double a, double dx, double dy) {
  const double ax = std::abs(dx), ay = std::abs(dy), r2 = dx * dx + dy * dy;
  switch (kind) {
    case Kind::Circle: return r2 <= a * a;
    case Kind::Square: return ax <= a && ay <= a;
    case Kind::Triangle: return ay <= a && ax <= (dy + a) / 2;  // apex up, base 2a at the bottom
    case Kind::Cross: return (ax <= a && ay <= a / 3) || (ax <= a / 3 && ay <= a);
    case Kind::Ring: return r2 <= a * a && 4 * r2 >= a * a;
    case Kind::Diamond: return ax + ay <= a;
  }
  return false;
}

// 16%..32% of the image area (after rasterising, 13%..37% at size 16), centred so the shape stays
// one pixel clear of every edge.
Placed place_shape(Kind kind, std::int64_t size, Generator& gen) {
  const double area = (0.16 + 0.16 * uniform(gen)) * double(size * size);
  const double half = half_extent_for_area(kind, area);
  const double room = double(size) - 2 * (half + 1);
  const double cx = half + 1 + room * uniform(gen);
  const double cy = half + 1 + room * uniform(gen);
  return {kind, cx, cy, half};
}

// Per-channel colours: a dark background with a slightly lighter texture and a bright shape, or the
// same inverted (v -> 255 - v), so the shape always stands out from its background.
struct Palette {
  std::array<double, 3> background, texture, shape;
};

Palette draw_palette(Generator& gen) {
  const bool bright_background = uniform(gen) < 0.5;
  Palette p;
  for (int c = 0; c < 3; ++c) {
    p.background[c] = 20 + 50 * uniform(gen);
    p.texture[c] = p.background[c] + 25 + 25 * uniform(gen);
    p.shape[c] = 150 + 105 * uniform(gen);
    if (bright_background)
      for (auto* colour : {&p.background, &p.texture, &p.shape}) (*colour)[c] = 255 - (*colour)[c];
  }
  return p;
}

// Weight of the texture colour at each pixel, weight[y * size + x] in [0, 1]: stripes (horizontal,
// vertical or either diagonal, period 3..6 pixels, half on) or uniform noise.
std::vector<double> draw_texture(std::int64_t size, Generator& gen) {
  std::vector<double> weight(std::size_t(size * size));
  if (uniform(gen) < 0.5) {
    gen.fill_uniform(weight.data(), size * size);
    return weight;
  }
  const int orientation = int(4 * uniform(gen));
  const std::int64_t period = 3 + std::int64_t(4 * uniform(gen));
  for (std::int64_t y = 0; y < size; ++y)
    for (std::int64_t x = 0; x < size; ++x) {
      const std::int64_t along[4] = {y, x, x + y, x - y + size};
      weight[std::size_t(y * size + x)] = along[orientation] % period < period / 2 ? 1.0 : 0.0;
    }
  return weight;
}

// Draws image `index` into pixels [channels, size, size] and mask [size, size] (0 or 255).
void draw_image(const ShapesOptions& options, std::int64_t index, Kind kind, std::uint8_t* pixels,
                std::uint8_t* mask) {
  Generator gen(options.seed, kShapesStream + std::uint64_t(index));
  const std::int64_t size = options.size;
  const Palette palette = draw_palette(gen);
  const Placed shape = place_shape(kind, size, gen);
  const std::vector<double> texture = draw_texture(size, gen);
  for (std::int64_t y = 0; y < size; ++y)
    for (std::int64_t x = 0; x < size; ++x) {
      const std::int64_t at = y * size + x;
      // Pixel (x, y) belongs to the shape when its centre (x + 0.5, y + 0.5) does.
      const bool inside = contains(shape.kind, shape.half, x + 0.5 - shape.cx, y + 0.5 - shape.cy);
      mask[at] = inside ? 255 : 0;
      for (std::int64_t c = 0; c < options.channels; ++c) {
        const double t = texture[std::size_t(at)];
        const double background = (1 - t) * palette.background[c] + t * palette.texture[c];
        const double value = inside ? palette.shape[c] : background;
        pixels[c * size * size + at] = std::uint8_t(std::lround(value));
      }
    }
}

}  // namespace

Dataset make_shapes(const ShapesOptions& options) {
  validate(options);
  Dataset set;
  set.count = options.count;
  set.channels = options.channels;
  set.height = set.width = options.size;
  const std::int64_t plane = options.size * options.size;
  set.pixels.resize(std::size_t(set.count * set.channels * plane));
  set.masks.resize(std::size_t(set.count * plane));
  set.class_names.assign(kKindNames.begin(), kKindNames.begin() + options.num_classes);
  for (std::int64_t i = 0; i < set.count; ++i) {
    const std::int64_t label = i % options.num_classes;
    set.labels.push_back(label);
    draw_image(options, i, Kind(label), set.pixels.data() + i * set.channels * plane,
               set.masks.data() + i * plane);
  }
  return set;
}

}  // namespace attrax::data
