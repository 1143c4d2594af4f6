#pragma once
// Helpers shared by the models suites: a temporary directory, small configs, value comparison and
// error-message capture.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/attrax.hpp"
#include "models/config.hpp"

namespace attrax::models::testing {

// A fresh directory under the system temp folder, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "attrax_models_XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("TempDir: mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& relative) const { return (path_ / relative).string(); }

 private:
  std::filesystem::path path_;
};

// The message of the `E` that `run` throws ("" when it throws none, a marker for another type).
template <class E, class Run>
std::string error_message(Run&& run) {
  try {
    run();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<another exception: ") + e.what() + ">";
  }
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A small ResNet-8: 4 wide, 1x12x12 -> 5 classes.
inline ModelConfig tiny_resnet(const std::string& activation = "relu") {
  ModelConfig c;
  c.arch = "resnet";
  c.depth = 8;
  c.width = 4;
  c.in_channels = 1;
  c.num_classes = 5;
  c.input_size = 12;
  c.activation = activation;
  c.mean = {0.3};
  c.std = {0.4};
  return c;
}

// Uniform [0, 1) images [n, channels, size, size].
inline Tensor random_images(std::int64_t n, std::int64_t channels, std::int64_t size,
                            std::uint64_t seed = 1) {
  Generator gen(seed, 99);
  return Tensor::rand({n, channels, size, size}, gen);
}

inline double max_abs(const std::vector<double>& values) {
  double m = 0;
  for (double v : values) m = std::max(m, std::abs(v));
  return m;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

}  // namespace attrax::models::testing
