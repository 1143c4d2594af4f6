#include "bench/end_to_end.hpp"

#include <sys/resource.h>

#include <cstdint>
#include <string>

#include "bench/timing.hpp"
#include "engine/attrax.hpp"
#include "models/registry.hpp"
#include "nn/optim/sgd.hpp"

namespace attrax::bench {

namespace {

constexpr std::int64_t kBatch = 128, kSize = 28, kClasses = 10;
constexpr std::int64_t kTarget = 3;  // the class every attribution explains

// Peak resident set of the process so far, in MB (Linux reports ru_maxrss in KiB).
double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;
}

// logits: [N,classes] -> Σ_n logits[n, kTarget], the scalar every attribution differentiates
Tensor target_logit_sum(const Tensor& logits) {
  return sum(slice(logits, 1, kTarget, kTarget + 1));
}

using models::Classifier;

// One SGD step on cross-entropy, the model in training mode.
void train_step(Classifier& model, nn::Sgd& opt, const Tensor& x, const Tensor& labels) {
  model.train();
  opt.zero_grad();
  cross_entropy(model(x), labels).backward();
  opt.step();
}

// PGD (Madry et al. 2018) in the L∞ ball of radius eps, the model in eval mode, random start:
//   δ ~ U(-eps, eps);  k times: δ ← clamp(δ + alpha · sign(∇_δ CE(f(clamp(x + δ, 0, 1)), y)), -eps, eps)
// x: [N,1,28,28], labels: int64 [N] -> the adversarial images clamp(x + δ, 0, 1)
Tensor pgd(Classifier& model, const Tensor& x, const Tensor& labels, int steps, double eps,
           double alpha, Generator& gen) {
  model.eval();
  Tensor delta;
  {
    NoGradGuard no_grad;
    delta = (Tensor::rand(x.shape(), gen) * 2.0 - 1.0) * eps;
  }
  for (int k = 0; k < steps; ++k) {
    delta.requires_grad_();
    const Tensor loss = cross_entropy(model(clamp(x + delta, 0, 1)), labels);
    const Tensor g = grad({loss}, {delta})[0];
    NoGradGuard no_grad;
    delta = clamp(delta + alpha * sign(g), -eps, eps);
  }
  NoGradGuard no_grad;
  return clamp(x + delta, 0, 1);
}

// Integrated Gradients (Sundararajan et al. 2017), zero baseline, right Riemann sum over m steps:
//   IG(x) = x ⊙ (1/m) Σ_{k=1..m} ∂F_3(k/m · x)/∂x, the m scaled copies in one batch.
// x: [1,1,28,28] -> [1,1,28,28]
Tensor integrated_gradients(Classifier& model, const Tensor& x, std::int64_t m) {
  const Tensor scales = (Tensor::arange(1, double(m + 1)) / double(m)).reshape({m, 1, 1, 1});
  Tensor xs = scales * x;
  xs.requires_grad_();
  const Tensor g = grad({target_logit_sum(model(xs))}, {xs})[0];
  return x * mean(g, {0}, true);
}

// SmoothGrad (Smilkov et al. 2017): (1/n) Σ_i ∂F_3(x + ε_i)/∂x, ε_i ~ N(0, σ²), in one batch.
// x: [1,1,28,28] -> [1,28,28]
Tensor smoothgrad(Classifier& model, const Tensor& x, std::int64_t n, double sigma,
                  Generator& gen) {
  Tensor xs = x + sigma * Tensor::randn({n, 1, kSize, kSize}, gen);
  xs.requires_grad_();
  const Tensor g = grad({target_logit_sum(model(xs))}, {xs})[0];
  return mean(g, {0});
}

// Grad-CAM (Selvaraju et al. 2017) on the layer3 activation A, captured by a forward hook:
//   α_k = mean_ij ∂F_3/∂A_k[i,j],  cam = ReLU(Σ_k α_k A_k), upsampled bilinearly to the input.
// x: [1,1,28,28] -> [1,1,28,28]
Tensor gradcam(Classifier& model, const Tensor& x) {
  Tensor a;
  nn::Module& layer3 = model.module_at("layer3");
  layer3.set_forward_hook([&a](const Tensor& output) { return a = output; });
  const Tensor logits = model(x);
  layer3.set_forward_hook(nullptr);
  const Tensor g = grad({target_logit_sum(logits)}, {a})[0];
  const Tensor cam = relu(sum(mean(g, {2, 3}, true) * a, {1}, true));
  return upsample_bilinear(cam, kSize, kSize);
}

// Records key = value(median seconds of fn) when the filter wants it.
template <class Value, class F>
void measure(Report& report, const std::string& key, int reps, int warm, Value value, F&& fn) {
  if (report.wants(key)) report.add(key, value(median_seconds(fn, reps, warm)));
}

}  // namespace

void run_end_to_end(Report& report) {
  const auto images_per_s = [](double seconds) { return double(kBatch) / seconds; };
  const auto ms = [](double seconds) { return seconds * 1e3; };
  double rss_after_training = 0;

  for (const int depth : {8, 20}) {
    const std::string name = "resnet" + std::to_string(depth);
    const std::string train = name + "_train_img_s", fgsm = name + "_fgsm_train_img_s",
                      pgd7 = name + "_pgd7_train_img_s", infer = name + "_infer_b1_ms",
                      ig = name + "_ig32_ms", sg = name + "_smoothgrad50_ms",
                      cam = name + "_gradcam_ms";
    const bool trains = report.wants(train) || report.wants(fgsm) || report.wants(pgd7);
    const bool explains = report.wants(ig) || report.wants(sg) || report.wants(cam);
    if (!trains && !explains && !report.wants(infer)) continue;

    Generator data(0, 1), attack(0, 2), noise(0, 3);
    const std::unique_ptr<Classifier> net = models::create_model(models::config_for(name));
    Classifier& model = *net;
    nn::Sgd opt(model.parameters(), {.lr = 0.01, .momentum = 0.9});
    // xb: [128,1,28,28] ~ U[0,1), yb: int64 [128] uniform in [0, 10)
    const Tensor xb = Tensor::rand({kBatch, 1, kSize, kSize}, data);
    Tensor yb = Tensor::zeros({kBatch}, DType::Int64);
    for (std::int64_t n = 0; n < kBatch; ++n)
      yb.data<std::int64_t>()[n] = std::int64_t(data.next_below(kClasses));

    measure(report, train, 5, 2, images_per_s, [&] { train_step(model, opt, xb, yb); });
    measure(report, fgsm, 3, 1, images_per_s,
            [&] { train_step(model, opt, pgd(model, xb, yb, 1, 0.1, 0.125, attack), yb); });
    measure(report, pgd7, 3, 1, images_per_s,
            [&] { train_step(model, opt, pgd(model, xb, yb, 7, 0.1, 0.025, attack), yb); });
    if (trains) rss_after_training = peak_rss_mb();

    // x1: [1,1,28,28] ~ U[0,1), explained by every attribution; the model stays in eval mode.
    const Tensor x1 = Tensor::rand({1, 1, kSize, kSize}, data);
    model.eval();
    measure(report, infer, 50, 5, ms, [&] {
      NoGradGuard no_grad;
      model(x1);
    });
    measure(report, ig, 20, 3, ms, [&] { integrated_gradients(model, x1, 32); });
    measure(report, sg, 20, 3, ms, [&] { smoothgrad(model, x1, 50, 0.15, noise); });
    measure(report, cam, 50, 5, ms, [&] { gradcam(model, x1); });
  }
  if (rss_after_training > 0) report.add("peak_rss_mb", rss_after_training);
}

}  // namespace attrax::bench
