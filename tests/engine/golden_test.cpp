// Golden cross-check against PyTorch: a ResNet basic block and a small CNN rebuilt from the
// fixtures of tests/golden/make_fixtures.py. Outputs, running statistics, gradients and
// second-order gradients (of the squared input-gradient norm) are compared in float64 and float32;
// the fixture reader itself is checked on hand-made files.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/attrax.hpp"
#include "support/npy.hpp"

using namespace attrax;
using attrax::testing::load_npy;

namespace {

struct Precision {
  DType dtype;
  double tolerance;  // max abs error relative to the magnitude of the expected tensor
};

constexpr Precision kFloat64{DType::Float64, 1e-9};
constexpr Precision kFloat32{DType::Float32, 1e-4};

// Loads tests/golden/<name>.npy; float fixtures are converted to dtype.
Tensor fixture(const std::string& name, DType dtype = DType::Float64) {
  const Tensor t = load_npy(std::string(ATTRAX_GOLDEN_DIR) + "/" + name + ".npy");
  return is_floating(t.dtype()) ? t.to(dtype).clone() : t;
}

double max_abs(const std::vector<double>& values) {
  double m = 0;
  for (const double v : values) m = std::max(m, std::abs(v));
  return m;
}

// Engine results named as the fixtures they should match (without the model prefix).
using Results = std::vector<std::pair<std::string, Tensor>>;

// Compares results of one kind (outputs, running statistics, first- or second-order gradients) with
// the fixtures <prefix>_<name>. The error of each is measured against the larger of its own largest
// magnitude and a tenth of the largest of its kind, since a gradient that is zero in exact
// arithmetic (a conv bias ahead of batch norm) has no scale of its own. An undefined result (an
// unused input's gradient) counts as zeros.
void check_kind(const std::string& prefix, const Results& results, const Precision& precision) {
  std::vector<Tensor> expected;
  double largest = 0;
  for (const auto& [name, actual] : results) {
    expected.push_back(fixture(prefix + "_" + name));
    largest = std::max(largest, max_abs(expected.back().to_vector()));
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& [name, actual] = results[i];
    const std::string what = prefix + "_" + name + " (" + dtype_name(precision.dtype) + ")";
    const std::vector<double> want = expected[i].to_vector();
    std::vector<double> got(want.size(), 0.0);
    if (actual.defined()) {
      REQUIRE_MESSAGE(actual.shape() == expected[i].shape(),
                      what << ": shape " << actual.shape().str() << ", fixture has "
                           << expected[i].shape().str());
      CHECK_MESSAGE(actual.dtype() == precision.dtype,
                    what << ": computed in " << dtype_name(actual.dtype()));
      got = actual.to_vector();
    }
    double error = 0;
    for (std::size_t k = 0; k < got.size(); ++k)
      error = std::max(error, std::abs(got[k] - want[k]));
    const double scale = std::max(max_abs(want), 0.1 * largest);
    CHECK_MESSAGE(error <= precision.tolerance * scale, what << ": max abs error " << error
                                                             << " exceeds " << precision.tolerance
                                                             << " x " << scale);
  }
}

// A model's input, parameters (leaves that require grad) and batch-norm running statistics, loaded
// from the fixtures in one dtype.
struct Model {
  Tensor x;
  std::vector<std::string> param_names;
  std::map<std::string, Tensor> params;
  std::map<std::string, Tensor> running;  // <bn>_running_mean, <bn>_running_var

  const Tensor& p(const std::string& name) const { return params.at(name); }

  // x, then the parameters in param_names order.
  std::vector<Tensor> leaves() const {
    std::vector<Tensor> out{x};
    for (const std::string& name : param_names) out.push_back(params.at(name));
    return out;
  }

  Results updated_running_stats() const {
    Results out;
    for (const auto& [name, t] : running) out.emplace_back(name + "_updated", t);
    return out;
  }
};

Model load_model(const std::string& prefix, std::vector<std::string> param_names,
                 const std::vector<std::string>& batch_norms, DType dtype) {
  Model m{fixture(prefix + "_x", dtype).requires_grad_(), std::move(param_names), {}, {}};
  for (const std::string& name : m.param_names)
    m.params[name] = fixture(prefix + "_" + name, dtype).requires_grad_();
  for (const std::string& bn : batch_norms) {
    for (const std::string stat : {"_running_mean", "_running_var"})
      m.running[bn + stat] = fixture(prefix + "_" + bn + stat + "_initial", dtype);
  }
  return m;
}

// Batch norm `name` of the model (momentum 0.1, eps 1e-5, as torch.nn.BatchNorm2d).
Tensor bn(const Model& m, const Tensor& x, const std::string& name, bool training) {
  return batch_norm(x, m.p(name + "_weight"), m.p(name + "_bias"),
                    m.running.at(name + "_running_mean"), m.running.at(name + "_running_var"),
                    BatchNormOptions{.training = training});
}

// x: [N,3,8,8] -> [N,4,4,4]
// relu(bn2(conv3x3(relu(bn1(conv3x3/2(x))))) + shortcut_bn(conv1x1/2(x)))
Tensor block_forward(const Model& m, bool training) {
  Tensor out = conv2d(m.x, m.p("conv1_weight"), Tensor(), {.stride = {2, 2}, .padding = {1, 1}});
  out = relu(bn(m, out, "bn1", training));
  out = bn(m, conv2d(out, m.p("conv2_weight"), Tensor(), {.padding = {1, 1}}), "bn2", training);
  const Tensor shortcut = conv2d(m.x, m.p("shortcut_conv_weight"), Tensor(), {.stride = {2, 2}});
  return relu(out + bn(m, shortcut, "shortcut_bn", training));
}

// x: [N,1,8,8] -> logits [N,5]
// linear(flatten(avg_pool(relu(conv3x3(max_pool(relu(bn1(conv3x3(x)))))))))
Tensor net_forward(const Model& m) {
  Tensor out = conv2d(m.x, m.p("conv1_weight"), m.p("conv1_bias"), {.padding = {1, 1}});
  out = max_pool2d(relu(bn(m, out, "bn1", true)), {});
  out = relu(conv2d(out, m.p("conv2_weight"), m.p("conv2_bias"), {.padding = {1, 1}}));
  out = avg_pool2d(out, {});
  return linear(flatten(out, 1), m.p("fc_weight"), m.p("fc_bias"));
}

struct Gradients {
  Results first;    // grad_x, grad_<param>
  Tensor gradnorm;  // sum(g * g) with g = d loss / dx
  Results second;   // gradnorm_grad_x, gradnorm_grad_<param>
};

// First-order gradients of loss, then g = d loss / dx recorded with create_graph and the gradients
// of sum(g * g): the path of attributional-robustness training.
Gradients gradients(const Tensor& loss, const Model& m) {
  const std::vector<Tensor> leaves = m.leaves();
  const std::vector<Tensor> first = grad({loss}, leaves, {}, GradOptions{.retain_graph = true});
  const Tensor g = grad({loss}, {m.x}, {}, GradOptions{.create_graph = true})[0];
  Gradients out{{}, sum(g * g), {}};
  const std::vector<Tensor> second =
      grad({out.gradnorm}, leaves, {}, GradOptions{.allow_unused = true});
  out.first.emplace_back("grad_x", first[0]);
  out.second.emplace_back("gradnorm_grad_x", second[0]);
  for (std::size_t i = 0; i < m.param_names.size(); ++i) {
    out.first.emplace_back("grad_" + m.param_names[i], first[i + 1]);
    out.second.emplace_back("gradnorm_grad_" + m.param_names[i], second[i + 1]);
  }
  return out;
}

void check_block(const Precision& precision) {
  const Model m =
      load_model("block",
                 {"conv1_weight", "bn1_weight", "bn1_bias", "conv2_weight", "bn2_weight",
                  "bn2_bias", "shortcut_conv_weight", "shortcut_bn_weight", "shortcut_bn_bias"},
                 {"bn1", "bn2", "shortcut_bn"}, precision.dtype);
  const Tensor out = block_forward(m, true);
  const Tensor loss = sum(out * fixture("block_loss_weight", precision.dtype));
  const Gradients g = gradients(loss, m);
  Tensor eval_out;
  {
    NoGradGuard no_grad;
    eval_out = block_forward(m, false);
  }
  check_kind("block", {{"out", out}, {"eval_out", eval_out}}, precision);
  check_kind("block", {{"loss", loss}}, precision);
  check_kind("block", m.updated_running_stats(), precision);
  check_kind("block", g.first, precision);
  check_kind("block", {{"gradnorm", g.gradnorm}}, precision);
  check_kind("block", g.second, precision);
}

void check_net(const Precision& precision) {
  const Model m = load_model("net",
                             {"conv1_weight", "conv1_bias", "bn1_weight", "bn1_bias",
                              "conv2_weight", "conv2_bias", "fc_weight", "fc_bias"},
                             {"bn1"}, precision.dtype);
  const Tensor logits = net_forward(m);
  const Tensor loss = cross_entropy(logits, fixture("net_labels"));
  const Gradients g = gradients(loss, m);
  check_kind("net", {{"logits", logits}}, precision);
  check_kind("net", {{"loss", loss}}, precision);
  check_kind("net", m.updated_running_stats(), precision);
  check_kind("net", g.first, precision);
  check_kind("net", {{"gradnorm", g.gradnorm}}, precision);
  check_kind("net", g.second, precision);
}

// A .npy file: magic, version, header length, the dict padded with spaces to a multiple of 64
// bytes and a newline, then the data.
std::string npy_bytes(int major, const std::string& dict, const std::string& data) {
  const std::size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(major);
  out += char(0);
  for (std::size_t i = 0; i < preamble - 8; ++i) out += char((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

template <class T>
std::string raw(const std::vector<T>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)};
}

// A file in the temporary directory holding `bytes`, removed when it goes out of scope.
class ScratchFile {
 public:
  ScratchFile(const std::string& name, const std::string& bytes)
      : path_((std::filesystem::temp_directory_path() / ("attrax_golden_" + name)).string()) {
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~ScratchFile() { std::filesystem::remove(path_); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Tensor load_bytes(const std::string& name, const std::string& bytes) {
  const ScratchFile file(name, bytes);
  return load_npy(file.path());
}

void check_rejected(const std::string& name, const std::string& bytes, const std::string& problem) {
  const ScratchFile file(name, bytes);
  CHECK_THROWS_WITH_AS(load_npy(file.path()), doctest::Contains(problem.c_str()), Error);
  CHECK_THROWS_WITH_AS(load_npy(file.path()), doctest::Contains(file.path().c_str()), Error);
}

const std::string kF8Dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";

}  // namespace

TEST_CASE("golden fixtures load with their shapes and dtypes") {
  const Tensor x = fixture("block_x");
  CHECK(x.shape() == Shape{2, 3, 8, 8});
  CHECK(x.dtype() == DType::Float64);
  const Tensor labels = fixture("net_labels");
  CHECK(labels.dtype() == DType::Int64);
  CHECK(labels.to_vector() == std::vector<double>{4, 0, 2});
  CHECK(fixture("net_loss").rank() == 0);
}

TEST_CASE("golden npy reader reads version 1.0 and 2.0 files of every supported dtype") {
  const Tensor f8 = load_bytes("f8.npy", npy_bytes(1, kF8Dict, raw<double>({1.5, -2})));
  CHECK(f8.dtype() == DType::Float64);
  CHECK(f8.to_vector() == std::vector<double>{1.5, -2});

  const Tensor f4 =
      load_bytes("f4.npy", npy_bytes(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)}",
                                     raw<float>({0.25f, 3})));
  CHECK(f4.dtype() == DType::Float32);
  CHECK(f4.shape() == Shape{2, 1});
  CHECK(f4.to_vector() == std::vector<double>{0.25, 3});

  const Tensor i8 =
      load_bytes("i8.npy", npy_bytes(1, "{'shape': (), 'fortran_order': False, 'descr': '<i8'}",
                                     raw<std::int64_t>({-7})));
  CHECK(i8.dtype() == DType::Int64);
  CHECK(i8.rank() == 0);
  CHECK(i8.item() == -7);

  const Tensor empty = load_bytes(
      "empty.npy", npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", ""));
  CHECK(empty.shape() == Shape{0, 3});
}

TEST_CASE("golden npy reader rejects malformed files, naming the file and the problem") {
  const std::string data = raw<double>({1, 2});
  check_rejected("magic.npy", "\x93NUMPZ" + npy_bytes(1, kF8Dict, data).substr(6), "bad magic");
  check_rejected("version.npy", npy_bytes(3, kF8Dict, data), "version 3.0");
  check_rejected("big_endian.npy",
                 npy_bytes(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", data),
                 "unsupported dtype '>f8'");
  check_rejected("fortran.npy",
                 npy_bytes(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", data),
                 "Fortran-order");
  check_rejected("missing_key.npy", npy_bytes(1, "{'descr': '<f8', 'shape': (2,), }", data),
                 "lacks one of");
  check_rejected(
      "extra_key.npy",
      npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", data),
      "unexpected header key 'x'");
  check_rejected(
      "repeated_key.npy",
      npy_bytes(1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", data),
      "repeats key 'descr'");
  check_rejected("bad_shape.npy",
                 npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", data),
                 "non-negative integer");
  check_rejected(
      "rank7.npy",
      npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,1,1,1,1,1,2), }", data),
      "rank 7");
  check_rejected("truncated.npy", npy_bytes(1, kF8Dict, data.substr(0, 12)),
                 "needs 16 bytes of data but the file has 12");
  check_rejected("trailing.npy", npy_bytes(1, kF8Dict, data + "xx"),
                 "needs 16 bytes of data but the file has 18");
  check_rejected(
      "huge.npy",
      npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4096, 4096), }", data),
      "needs 134217728 bytes of data but the file has 16");
  const std::string two_to_40 = "1099511627776";
  check_rejected("overflow.npy",
                 npy_bytes(1,
                           "{'descr': '<f8', 'fortran_order': False, 'shape': (" + two_to_40 +
                               ", " + two_to_40 + "), }",
                           data),
                 "too large to address");
  check_rejected("short_header.npy", npy_bytes(1, kF8Dict, data).substr(0, 40),
                 "runs past the end");
  CHECK_THROWS_WITH_AS(load_npy("/nonexistent/attrax.npy"),
                       doctest::Contains("cannot open '/nonexistent/attrax.npy'"), Error);
}

TEST_CASE("golden ResNet basic block matches PyTorch in float64") { check_block(kFloat64); }

TEST_CASE("golden ResNet basic block matches PyTorch in float32") { check_block(kFloat32); }

TEST_CASE("golden small CNN with cross entropy matches PyTorch in float64") { check_net(kFloat64); }

TEST_CASE("golden small CNN with cross entropy matches PyTorch in float32") { check_net(kFloat32); }
