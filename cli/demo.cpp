// The demo: synthetic bar images, a small CNN trained with SGD on the engine's tape, its held-out
// accuracy, and the input gradient of one prediction drawn as a saliency map.
#include "cli/demo.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "engine/attrax.hpp"

namespace attrax::cli {

namespace {

constexpr std::int64_t kSize = 12;     // images are kSize x kSize, one channel
constexpr std::int64_t kClasses = 4;   // horizontal bar, vertical bar, diagonal, square
constexpr const char* kClassNames[kClasses] = {"horizontal", "vertical", "diagonal", "square"};

struct Batch {
  Tensor images;  // [N,1,kSize,kSize] in [0,1]
  Tensor labels;  // int64 [N]
};

// Draws one image of class `label` on uniform noise in [0, 0.3).
void draw(float* image, std::int64_t label, Generator& gen) {
  std::vector<float> noise(kSize * kSize);
  gen.fill_uniform(noise.data(), std::int64_t(noise.size()));
  for (std::size_t i = 0; i < noise.size(); ++i) image[i] = 0.3f * noise[i];
  const auto at = [&](std::int64_t r, std::int64_t c) -> float& { return image[r * kSize + c]; };
  const std::int64_t a = 1 + std::int64_t(gen.next_below(kSize - 4));
  const std::int64_t b = 1 + std::int64_t(gen.next_below(kSize - 4));
  switch (label) {
    case 0: for (std::int64_t c = 1; c < kSize - 1; ++c) at(a, c) = 1; break;
    case 1: for (std::int64_t r = 1; r < kSize - 1; ++r) at(r, a) = 1; break;
    case 2: for (std::int64_t i = 1; i < kSize - 1; ++i) at(i, b % 2 ? i : kSize - 1 - i) = 1; break;
    default:
      for (std::int64_t r = a; r < a + 3; ++r)
        for (std::int64_t c = b; c < b + 3; ++c) at(r, c) = 1;
  }
}

Batch make_batch(std::int64_t n, Generator& gen) {
  Batch batch{Tensor::zeros({n, 1, kSize, kSize}), Tensor::zeros({n}, DType::Int64)};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t label = std::int64_t(gen.next_below(kClasses));
    batch.labels.data<std::int64_t>()[i] = label;
    draw(batch.images.data<float>() + i * kSize * kSize, label, gen);
  }
  return batch;
}

// conv3x3(1→8) → BN → ReLU → maxpool 2 → conv3x3(8→16) → BN → ReLU → global avg pool → linear(16→4)
struct SmallCnn {
  Tensor conv1, bn1_gamma, bn1_beta, bn1_mean, bn1_var;
  Tensor conv2, bn2_gamma, bn2_beta, bn2_mean, bn2_var;
  Tensor fc_weight, fc_bias;

  // He initialisation: w ~ N(0, 2 / fan_in).
  static Tensor he(const Shape& shape, std::int64_t fan_in, Generator& gen) {
    NoGradGuard no_grad;
    return (Tensor::randn(shape, gen) * std::sqrt(2.0 / double(fan_in))).requires_grad_();
  }

  explicit SmallCnn(Generator& gen)
      : conv1(he({8, 1, 3, 3}, 9, gen)),
        bn1_gamma(Tensor::ones({8}).requires_grad_()), bn1_beta(Tensor::zeros({8}).requires_grad_()),
        bn1_mean(Tensor::zeros({8})), bn1_var(Tensor::ones({8})),
        conv2(he({16, 8, 3, 3}, 72, gen)),
        bn2_gamma(Tensor::ones({16}).requires_grad_()), bn2_beta(Tensor::zeros({16}).requires_grad_()),
        bn2_mean(Tensor::zeros({16})), bn2_var(Tensor::ones({16})),
        fc_weight(he({kClasses, 16}, 16, gen)), fc_bias(Tensor::zeros({kClasses}).requires_grad_()) {}

  std::vector<Tensor> parameters() const {
    return {conv1, bn1_gamma, bn1_beta, conv2, bn2_gamma, bn2_beta, fc_weight, fc_bias};
  }

  // x: [N,1,kSize,kSize] -> logits [N,kClasses]
  Tensor forward(const Tensor& x, bool training) const {
    const BatchNormOptions bn{.training = training};
    const Conv2dOptions same{.padding = {1, 1}};
    Tensor h = relu(batch_norm(conv2d(x, conv1, Tensor(), same), bn1_gamma, bn1_beta, bn1_mean, bn1_var, bn));
    h = max_pool2d(h, Pool2dOptions{.kernel = {2, 2}});
    h = relu(batch_norm(conv2d(h, conv2, Tensor(), same), bn2_gamma, bn2_beta, bn2_mean, bn2_var, bn));
    return linear(global_avg_pool2d(h), fc_weight, fc_bias);
  }
};

// SGD with momentum: v ← μ v + g;  p ← p − lr v
void sgd_step(const std::vector<Tensor>& params, std::vector<Tensor>& velocity, double lr, double mu) {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) {
    Tensor p = params[i];
    const float* g = p.grad().data<float>();
    float* v = velocity[i].data<float>();
    float* w = p.data<float>();
    for (std::int64_t k = 0; k < p.numel(); ++k) {
      v[k] = float(mu) * v[k] + g[k];
      w[k] -= float(lr) * v[k];
    }
    p.zero_grad();
  }
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  std::int64_t correct = 0;
  for (std::int64_t n = 0; n < logits.size(0); ++n) {
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < kClasses; ++c)
      if (logits.at({n, c}) > logits.at({n, best})) best = c;
    correct += best == labels.data<std::int64_t>()[n];
  }
  return double(correct) / double(logits.size(0));
}

// Saliency |d logit_label / d x| of one image, printed as characters of increasing density.
void print_saliency(const SmallCnn& model, const Batch& test) {
  const Tensor x = slice(test.images, 0, 0, 1).detach().requires_grad_();
  const std::int64_t label = test.labels.data<std::int64_t>()[0];
  const Tensor logit = slice(model.forward(x, false), 1, label, label + 1);
  const Tensor saliency = abs(grad({sum(logit)}, {x})[0]);
  const double peak = max(saliency).item();
  const std::string shades = " .:-=+*#%@";
  std::printf("\nimage (class %s)            |d logit / d x|\n", kClassNames[label]);
  for (std::int64_t r = 0; r < kSize; ++r) {
    std::string left, right;
    for (std::int64_t c = 0; c < kSize; ++c) {
      left += x.at({0, 0, r, c}) > 0.5 ? "##" : "..";
      const double level = peak > 0 ? saliency.at({0, 0, r, c}) / peak : 0;
      right += std::string(2, shades[std::size_t(std::lround(level * double(shades.size() - 1)))]);
    }
    std::printf("%s   %s\n", left.c_str(), right.c_str());
  }
}

}  // namespace

int run_demo(int argc, char** argv) {
  std::int64_t steps = 300, seed = 0;
  for (int i = 0; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--steps" && i + 1 < argc) {
      steps = parse_positive(flag, argv[++i]);
    } else if (flag == "--seed" && i + 1 < argc) {
      seed = parse_integer(flag, argv[++i], 0);
    } else {
      throw UsageError("unknown or incomplete option '" + flag + "' (options: --steps N, --seed S)");
    }
  }
  Generator init(std::uint64_t(seed), 0), data(std::uint64_t(seed), 1), held_out(std::uint64_t(seed), 2);
  SmallCnn model(init);
  std::vector<Tensor> velocity;
  for (const Tensor& p : model.parameters()) velocity.push_back(Tensor::zeros(p.shape()));
  const Batch test = make_batch(512, held_out);

  std::printf("attrax demo: a %lld-step SGD run of a small CNN on %lldx%lld synthetic bar images\n",
              static_cast<long long>(steps), static_cast<long long>(kSize), static_cast<long long>(kSize));
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t step = 1; step <= steps; ++step) {
    const Batch batch = make_batch(32, data);
    const Tensor logits = model.forward(batch.images, true);
    const Tensor loss = cross_entropy(logits, batch.labels);
    loss.backward();
    sgd_step(model.parameters(), velocity, 0.05, 0.9);
    if (step % 50 == 0 || step == steps) {
      std::printf("step %4lld  loss %.4f  batch accuracy %.3f\n", static_cast<long long>(step),
                  loss.item(), accuracy(logits, batch.labels));
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double test_accuracy = 0;
  {
    NoGradGuard no_grad;
    test_accuracy = accuracy(model.forward(test.images, false), test.labels);
  }
  std::printf("trained in %.1f s; held-out accuracy on %lld images: %.3f\n", seconds,
              static_cast<long long>(test.labels.numel()), test_accuracy);
  print_saliency(model, test);
  return 0;
}

}  // namespace attrax::cli
