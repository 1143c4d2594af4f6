// Transfer attacks: the DCT (analytic coefficients, inverse, gradient), TI's kernel and smoothing,
// DI's resize-and-pad and its gradient, SSA's spectral mask, their composition in MI-FGSM (the
// AttEXplore attack), MIG and GRA (ball, success, determinism, trajectories, targeted mode) and the
// logit-fusion ensemble.
#include <cmath>
#include <numbers>
#include <tuple>

#include "adversarial/attacks/dct.hpp"
#include "adversarial/attacks/gra.hpp"
#include "adversarial/attacks/mifgsm.hpp"
#include "adversarial/attacks/mig.hpp"
#include "adversarial/attacks/transfer.hpp"
#include "adversarial/ensemble.hpp"
#include "adversarial/random_streams.hpp"
#include "helpers.hpp"

namespace attrax::adversarial {
using namespace testing;

namespace {

// Accepts any image size: logits [N, C] = 4 · mean_{H,W} x, so the class is the brightest channel.
// Records the shape of the last input it saw.
class ChannelModel : public nn::Module {
 public:
  Tensor forward(const Tensor& x) override {
    last_input = x.shape();
    return 4.0 * mean(x, {2, 3});
  }
  std::string describe() const override { return "ChannelModel"; }
  Shape last_input;
};

// n images [n, channels, size, size] where channel (i mod channels) is 0.6 and the others 0.4: an
// L∞ perturbation of 0.1 is needed to tie the channel means, so ε = 0.05 cannot flip a prediction.
LabelledBatch channel_batch(std::int64_t n, std::int64_t channels, std::int64_t size) {
  Tensor images = Tensor::full({n, channels, size, size}, 0.4);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    labels[std::size_t(i)] = i % channels;
    for (std::int64_t r = 0; r < size; ++r)
      for (std::int64_t c = 0; c < size; ++c) images.set({i, i % channels, r, c}, 0.6);
  }
  return {images, Tensor::from_data(labels, {n})};
}

// The first logit of every sample, as a loss.
Tensor first_logit(const Tensor& logits, const Tensor&) {
  return slice(logits, 1, 0, 1).reshape({logits.size(0)});
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return max(abs(a - b)).item();
}

Tensor identity_matrix(std::int64_t n) {
  Tensor eye = Tensor::zeros({n, n});
  for (std::int64_t i = 0; i < n; ++i) eye.set({i, i}, 1.0);
  return eye;
}

Tensor uniform_images(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed, 1);
  return Tensor::rand(shape, gen);
}

// Targets (i + 2) mod 4, away from quadrant_batch's labels i mod 4.
Tensor shifted_targets(std::int64_t n) {
  std::vector<std::int64_t> t(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) t[std::size_t(i)] = (i + 2) % 4;
  return Tensor::from_data(t, {n});
}

std::vector<std::unique_ptr<TracedAttack>> mig_and_gra(double eps, bool targeted = false) {
  std::vector<std::unique_ptr<TracedAttack>> attacks;
  attacks.push_back(std::make_unique<Mig>(MigOptions{.threat = {Norm::Linf, eps}, .targeted = targeted}));
  attacks.push_back(std::make_unique<Gra>(GraOptions{.threat = {Norm::Linf, eps}, .targeted = targeted}));
  return attacks;
}

}  // namespace

// ---- DCT ----

TEST_CASE("DCT: the DCT matrix is orthonormal and IDCT2 inverts DCT2 on non-square images") {
  const Tensor d = dct_matrix(5);
  CHECK(max_abs_difference(matmul(d, transpose(d, 0, 1)), identity_matrix(5)) < 1e-6);
  const Tensor x = uniform_images({2, 3, 5, 7}, 1);
  CHECK(max_abs_difference(idct2(dct2(x)), x) < 1e-5);
  CHECK(max_abs_difference(dct2(idct2(x)), x) < 1e-5);
}

TEST_CASE("DCT: a constant image c has the single DC coefficient c · √(HW)") {
  const double c = 0.3;
  const Tensor spectrum = dct2(Tensor::full({1, 1, 4, 6}, c));
  CHECK(spectrum.at({0, 0, 0, 0}) == doctest::Approx(c * std::sqrt(24.0)).epsilon(1e-6));
  Tensor rest = spectrum.clone();
  rest.set({0, 0, 0, 0}, 0.0);
  CHECK(max(abs(rest)).item() < 1e-6);
}

TEST_CASE("DCT: the basis image cos(π(2i+1)k/2H) cos(π(2j+1)l/2W) maps to the coefficient (k, l)") {
  const std::int64_t h = 6, w = 8, k = 2, l = 5;
  Tensor basis = Tensor::zeros({1, 1, h, w});
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j)
      basis.set({0, 0, i, j}, std::cos(std::numbers::pi * double(2 * i + 1) * k / double(2 * h)) *
                                  std::cos(std::numbers::pi * double(2 * j + 1) * l / double(2 * w)));
  const Tensor spectrum = dct2(basis);
  // Σ_i cos² = H/2 for k ≥ 1, and s_k = √(2/H): the coefficient is √(H/2) · √(W/2)
  CHECK(spectrum.at({0, 0, k, l}) == doctest::Approx(std::sqrt(h / 2.0 * w / 2.0)).epsilon(1e-5));
  Tensor rest = spectrum.clone();
  rest.set({0, 0, k, l}, 0.0);
  CHECK(max(abs(rest)).item() < 1e-5);
}

TEST_CASE("DCT: gradients flow through DCT2, whose vector-Jacobian product is IDCT2") {
  Tensor x = uniform_images({1, 2, 4, 5}, 2);
  x.requires_grad_();
  const Tensor upstream = uniform_images({1, 2, 4, 5}, 3);
  const Tensor g = grad({sum(dct2(x) * upstream)}, {x})[0];
  CHECK(max_abs_difference(g, idct2(upstream)) < 1e-5);
  CHECK(contains(error_message<ShapeError>([] { dct2(Tensor::zeros({4})); }), "dct2"));
}

// ---- TI ----

TEST_CASE("TI: the Gaussian kernel sums to 1, is symmetric and follows the normal density") {
  const Tensor k = gaussian_kernel(7, 3.0);
  REQUIRE(k.shape() == Shape({7, 7}));
  CHECK(sum(k).item() == doctest::Approx(1.0).epsilon(1e-6));
  for (std::int64_t i = 0; i < 7; ++i)
    for (std::int64_t j = 0; j < 7; ++j) {
      CHECK(k.at({i, j}) == doctest::Approx(k.at({j, i})).epsilon(1e-6));
      CHECK(k.at({i, j}) == doctest::Approx(k.at({6 - i, j})).epsilon(1e-6));
    }
  // z = −3, −2, …, 3: k[3][4] / k[3][3] = φ(1)/φ(0) = e^{−1/2}, k[0][0] / k[3][3] = e^{−9}
  CHECK(k.at({3, 4}) / k.at({3, 3}) == doctest::Approx(std::exp(-0.5)).epsilon(1e-5));
  CHECK(k.at({0, 0}) / k.at({3, 3}) == doctest::Approx(std::exp(-9.0)).epsilon(1e-4));
  CHECK(gaussian_kernel(1, 3.0).at({0, 0}) == doctest::Approx(1.0));
}

TEST_CASE("TI: smoothing a delta gradient gives the kernel in every channel, and TI alone is that smoothing") {
  const Tensor kernel = gaussian_kernel(5, 3.0);
  Tensor delta = Tensor::zeros({1, 2, 9, 9});
  delta.set({0, 0, 4, 4}, 1.0);
  delta.set({0, 1, 4, 4}, 2.0);
  const Tensor smoothed = translation_smooth(delta, kernel);
  REQUIRE(smoothed.shape() == delta.shape());
  for (std::int64_t r = 0; r < 9; ++r)
    for (std::int64_t c = 0; c < 9; ++c) {
      const bool inside = r >= 2 && r <= 6 && c >= 2 && c <= 6;
      const double expected = inside ? kernel.at({r - 2, c - 2}) : 0.0;
      CHECK(smoothed.at({0, 0, r, c}) == doctest::Approx(expected).epsilon(1e-6));
      CHECK(smoothed.at({0, 1, r, c}) == doctest::Approx(2 * expected).epsilon(1e-6));
    }

  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  Generator gen(0, kAttackStream);
  const Tensor plain = plain_gradient(*model, batch.images, batch.labels, cross_entropy_per_sample, gen);
  const Tensor ti = transfer_gradient({.ti_kernel = 3})(*model, batch.images, batch.labels,
                                                         cross_entropy_per_sample, gen);
  CHECK(max_abs_difference(ti, translation_smooth(plain, gaussian_kernel(3, 3.0))) < 1e-7);
}

// ---- DI ----

TEST_CASE("DI: the padded extent is ⌊1.15 n⌋ as the reference computes it, at least n + 1") {
  CHECK(diversity_extent(224) == 257);
  CHECK(diversity_extent(299) == 343);
  CHECK(diversity_extent(28) == 32);
  CHECK(diversity_extent(100) == 114);  // 100 · 1.15 = 114.999… in double, as Python's int(100 * 1.15)
  CHECK(diversity_extent(4) == 5);
}

TEST_CASE("DI with p = 0 is the identity and its gradient is the plain gradient") {
  ChannelModel model;
  const LabelledBatch batch = channel_batch(3, 3, 8);
  Generator gen(5, kAttackStream);
  for (int draw = 0; draw < 20; ++draw)
    CHECK(diverse_input(batch.images, 0.0, gen).to_vector() == batch.images.to_vector());
  const Tensor plain = plain_gradient(model, batch.images, batch.labels, cross_entropy_per_sample, gen);
  const Tensor di = transfer_gradient({.diversity_prob = 0.0})(model, batch.images, batch.labels,
                                                              cross_entropy_per_sample, gen);
  CHECK(di.to_vector() == plain.to_vector());
}

TEST_CASE("DI with p = 1: the model sees the resized image zero-padded to ⌊1.15 W⌋, and the gradient flows back") {
  ChannelModel model;
  const std::int64_t size = 28, padded = diversity_extent(size);
  const Tensor x = Tensor::full({1, 1, size, size}, 0.5);
  const Tensor labels = Tensor::from_data(std::vector<std::int64_t>{0}, {1});
  bool some_resize_grew = false;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    Generator gen(seed, kAttackStream);
    const Tensor seen = diverse_input(x, 1.0, gen);
    REQUIRE(seen.shape() == Shape({1, 1, padded, padded}));
    // a constant image stays constant under bilinear resizing: r × r pixels of 0.5, zeros around
    std::int64_t lit = 0;
    for (double v : seen.to_vector()) {
      CHECK((v == doctest::Approx(0.5) || v == 0.0));
      lit += v > 0.25;
    }
    const auto side = std::int64_t(std::lround(std::sqrt(double(lit))));
    CHECK(side * side == lit);
    CHECK(side >= size);
    CHECK(side < padded);

    // loss = 4 · mean over the padded image: Σ ∂loss/∂x = 4 r² / padded², the resize's adjoint
    // spreading each output pixel's unit weight back onto x
    Generator replay(seed, kAttackStream);
    const Tensor g = transfer_gradient({.diversity_prob = 1.0})(model, x, labels, first_logit, replay);
    CHECK(model.last_input == Shape({1, 1, padded, padded}));
    REQUIRE(g.shape() == x.shape());
    CHECK(sum(g).item() == doctest::Approx(4.0 * double(lit) / double(padded * padded)).epsilon(1e-4));
    some_resize_grew = some_resize_grew || side > size;
  }
  CHECK(some_resize_grew);
}

// ---- SSA ----

TEST_CASE("SSA with ρ = 0 and σ = 0 gives the plain gradient up to float error") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  Generator gen(0, kAttackStream);
  const Tensor plain = plain_gradient(*model, batch.images, batch.labels, cross_entropy_per_sample, gen);
  const Tensor ssa = transfer_gradient({.ssa_samples = 3, .ssa_rho = 0.0, .ssa_sigma = 0.0})(
      *model, batch.images, batch.labels, cross_entropy_per_sample, gen);
  CHECK(max_abs_difference(ssa, plain) < 1e-5);
}

TEST_CASE("SSA: the mask scales each DCT coefficient by a factor in [1 − ρ, 1 + ρ], the noise has σ") {
  const Tensor x = uniform_images({2, 3, 16, 16}, 4);
  Generator gen(1, kAttackStream);
  const Tensor masked = spectrum_simulation(x, 0.5, 0.0, gen);
  const std::vector<double> before = dct2(x).to_vector(), after = dct2(masked).to_vector();
  double lowest = 2, highest = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (std::abs(before[i]) < 1e-2) continue;
    lowest = std::min(lowest, after[i] / before[i]);
    highest = std::max(highest, after[i] / before[i]);
  }
  CHECK(lowest >= 0.5 - 1e-3);
  CHECK(highest <= 1.5 + 1e-3);
  CHECK(lowest < 0.6);   // the factors do spread over the range
  CHECK(highest > 1.4);

  // ρ = 0: x̃ = x + ξ, and an orthonormal DCT keeps ξ ~ N(0, σ²)
  const double sigma = 16.0 / 255;
  const Tensor noisy = spectrum_simulation(x, 0.0, sigma, gen);
  const Tensor noise = noisy - x;
  CHECK(std::abs(mean(noise).item()) < 0.1 * sigma);
  CHECK(std::sqrt(mean(noise * noise).item()) == doctest::Approx(sigma).epsilon(0.08));
}

TEST_CASE("DI-TI-SSA-MI-FGSM (the AttEXplore attack) stays in the ball, fools a pooled model at ε = 0.15 only, and is deterministic") {
  ChannelModel model;
  const LabelledBatch batch = channel_batch(6, 3, 8);
  REQUIRE(accuracy(model, batch.images, batch.labels) == 1.0);
  const TransferOptions attexplore{.diversity_prob = 0.5, .ti_kernel = 7, .ssa_samples = 4};
  for (double eps : {0.15, 0.05}) {
    CAPTURE(eps);
    const MiFgsmOptions options{.threat = {Norm::Linf, eps}, .gradient = transfer_gradient(attexplore), .seed = 3};
    MiFgsm attack(options, "attexplore"), again(options, "attexplore");
    const Tensor x_adv = attack(model, batch.images, batch.labels);
    check_in_ball(x_adv, batch.images, options.threat);
    CHECK(accuracy(model, x_adv, batch.labels) == (eps > 0.1 ? 0.0 : 1.0));
    CHECK(again(model, batch.images, batch.labels).to_vector() == x_adv.to_vector());
  }
}

TEST_CASE("DI, TI and SSA options out of range are refused naming the option") {
  const auto refused = [](TransferOptions options) {
    return error_message<ValueError>([&] { transfer_gradient(options); });
  };
  CHECK(contains(refused({.diversity_prob = 1.5}), "diversity_prob"));
  CHECK(contains(refused({.ti_kernel = 4}), "ti_kernel"));
  CHECK(contains(refused({.ti_kernel = -1}), "ti_kernel"));
  CHECK(contains(refused({.ssa_samples = -2}), "ssa_samples"));
  CHECK(contains(refused({.ssa_rho = -0.1}), "ssa_rho"));
  CHECK(contains(refused({.ssa_sigma = std::nan("")}), "ssa_sigma"));
  CHECK(contains(refused({.ti_nsig = 0}), "ti_nsig"));
}

// ---- MIG and GRA ----

TEST_CASE("MIG and GRA stay in the L∞ ball and [0, 1] and fool the quadrant model at ε = 0.15 but not at 0.05") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  REQUIRE(accuracy(*model, batch.images, batch.labels) == 1.0);
  for (double eps : {0.15, 0.05})
    for (auto& attack : mig_and_gra(eps)) {
      CAPTURE(attack->name());
      CAPTURE(eps);
      const Tensor x_adv = (*attack)(*model, batch.images, batch.labels);
      check_in_ball(x_adv, batch.images, *attack->threat());
      CHECK(accuracy(*model, x_adv, batch.labels) == (eps > 0.1 ? 0.0 : 1.0));
    }
}

TEST_CASE("targeted MIG and GRA reach the target class") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  const Tensor targets = shifted_targets(8);
  for (auto& attack : mig_and_gra(0.15, true)) {
    CAPTURE(attack->name());
    CHECK(attack->targeted());
    const Tensor x_adv = (*attack)(*model, batch.images, targets);
    check_in_ball(x_adv, batch.images, *attack->threat());
    CHECK(accuracy(*model, x_adv, targets) == 1.0);
  }
}

TEST_CASE("MIG and GRA trajectories: T + 1 points in the ball from x, T momenta, ending at the attack's result") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  const ThreatModel threat{Norm::Linf, 0.15};
  const double alpha = 0.15 / 6;
  std::vector<std::pair<std::unique_ptr<TracedAttack>, std::unique_ptr<TracedAttack>>> pairs;
  pairs.emplace_back(std::make_unique<Mig>(MigOptions{.threat = threat, .steps = 6, .samples = 5}),
                     std::make_unique<Mig>(MigOptions{.threat = threat, .steps = 6, .samples = 5}));
  pairs.emplace_back(std::make_unique<Gra>(GraOptions{.threat = threat, .steps = 6, .neighbours = 4}),
                     std::make_unique<Gra>(GraOptions{.threat = threat, .steps = 6, .neighbours = 4}));
  for (auto& [traced, plain] : pairs) {
    CAPTURE(traced->name());
    const Trajectory path = traced->trace(*model, batch.images, batch.labels);
    REQUIRE(path.points.size() == 7);
    REQUIRE(path.momenta.size() == 6);
    CHECK(path.points.front().to_vector() == batch.images.to_vector());
    for (const Tensor& point : path.points) check_in_ball(point, batch.images, threat);
    for (const Tensor& m : path.momenta) CHECK(m.shape() == batch.images.shape());
    // m_1 = ig / mean|ig| (or G / mean|G|): its mean absolute value is 1
    CHECK(mean(abs(path.momenta[0])).item() == doctest::Approx(1.0).epsilon(1e-4));
    // on this model no momentum sign flips, so every step is x_{t+1} = Π(x_t + α sign(m_t))
    for (std::size_t t = 0; t + 1 < path.points.size(); ++t) {
      const Tensor step = project(path.points[t] + alpha * sign(path.momenta[t]), batch.images, threat);
      CHECK(max_abs_difference(step, path.points[t + 1]) < 1e-6);
    }
    CHECK(path.points.back().to_vector() == (*plain)(*model, batch.images, batch.labels).to_vector());
  }
}

TEST_CASE("MIG and GRA are deterministic from their seed and change with it") {
  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(8);
  const ThreatModel threat{Norm::Linf, 0.05};
  const auto mig = [&](std::uint64_t seed) {
    return Mig({.threat = threat, .steps = 2, .alpha = 0.001, .samples = 4, .random_start = true, .seed = seed});
  };
  const auto gra = [&](std::uint64_t seed) {
    return Gra({.threat = threat, .steps = 2, .alpha = 0.001, .neighbours = 3, .random_start = true, .seed = seed});
  };
  Mig mig_a = mig(7), mig_b = mig(7), mig_c = mig(8);
  Gra gra_a = gra(7), gra_b = gra(7), gra_c = gra(8);
  for (auto [a, b, c] : {std::tuple<TracedAttack*, TracedAttack*, TracedAttack*>{&mig_a, &mig_b, &mig_c},
                         std::tuple<TracedAttack*, TracedAttack*, TracedAttack*>{&gra_a, &gra_b, &gra_c}}) {
    CAPTURE(a->name());
    const Trajectory first = a->trace(*model, batch.images, batch.labels);
    const Trajectory second = b->trace(*model, batch.images, batch.labels);
    const Tensor other = (*c)(*model, batch.images, batch.labels);
    for (std::size_t t = 0; t < first.points.size(); ++t)
      CHECK(first.points[t].to_vector() == second.points[t].to_vector());
    for (std::size_t t = 0; t < first.momenta.size(); ++t)
      CHECK(first.momenta[t].to_vector() == second.momenta[t].to_vector());
    CHECK(first.points.back().to_vector() != other.to_vector());
  }
}

TEST_CASE("GRA's cosine relevance: 1 for parallel, −1 for opposite and 0 for orthogonal gradients, per sample") {
  const Tensor a = Tensor::from_data(std::vector<float>{1, 2, 0, 0, 0, 3, 1, 0}, {2, 1, 2, 2});
  const Tensor b = Tensor::from_data(std::vector<float>{2, 4, 0, 0, 0, 0, 0, 5}, {2, 1, 2, 2});
  const Tensor s = sample_cosine(a, b);
  REQUIRE(s.shape() == Shape({2, 1, 1, 1}));
  CHECK(s.at({0, 0, 0, 0}) == doctest::Approx(1.0));
  CHECK(s.at({1, 0, 0, 0}) == doctest::Approx(0.0));
  CHECK(sample_cosine(a, -1.0 * a).at({1, 0, 0, 0}) == doctest::Approx(-1.0));
}

TEST_CASE("MIG and GRA refuse bad options naming the option, and an attack restores the model's mode") {
  const ThreatModel linf{Norm::Linf, 0.1};
  CHECK(contains(error_message<ValueError>([&] { Mig({.threat = {Norm::L2, 0.5}}); }), "threat.norm"));
  CHECK(contains(error_message<ValueError>([&] { Mig({.threat = linf, .steps = 0}); }), "steps"));
  CHECK(contains(error_message<ValueError>([&] { Mig({.threat = linf, .samples = 0}); }), "samples"));
  CHECK(contains(error_message<ValueError>([&] { Mig({.threat = linf, .decay = -1}); }), "decay"));
  CHECK(contains(error_message<ValueError>([&] { Mig({.threat = {Norm::Linf, -0.1}}); }), "eps"));
  CHECK(contains(error_message<ValueError>([&] { Gra({.threat = {Norm::L2, 0.5}}); }), "threat.norm"));
  CHECK(contains(error_message<ValueError>([&] { Gra({.threat = linf, .alpha = -0.1}); }), "alpha"));
  CHECK(contains(error_message<ValueError>([&] { Gra({.threat = linf, .beta = -1}); }), "beta"));
  CHECK(contains(error_message<ValueError>([&] { Gra({.threat = linf, .neighbours = 0}); }), "neighbours"));
  CHECK(contains(error_message<ValueError>([&] { Gra({.threat = linf, .eta = 0}); }), "eta"));
  CHECK(contains(error_message<ValueError>([&] { Gra({.threat = linf, .eta = 1.5}); }), "eta"));
  CHECK(contains(error_message<ValueError>([&] { Gra({.threat = linf, .loss = nullptr}); }), "loss"));

  auto model = quadrant_model();
  const LabelledBatch batch = quadrant_batch(4);
  model->train();
  Gra gra({.threat = linf, .steps = 1, .neighbours = 2});
  gra.trace(*model, batch.images, batch.labels);
  CHECK(model->is_training());
  CHECK_FALSE(model->weight().grad().defined());
}

// ---- Ensemble ----

namespace {

// A second 4-class model on 1x4x4: logit k = 3 · mean(quadrant k) − mean(quadrant k + 1 mod 4).
std::unique_ptr<LinearModel> contrast_model() {
  std::vector<float> w(4 * 16, 0.0f);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const int quadrant = 2 * (r / 2) + c / 2;
      w[std::size_t(quadrant * 16 + r * 4 + c)] += 0.75f;
      w[std::size_t(((quadrant + 3) % 4) * 16 + r * 4 + c)] -= 0.25f;
    }
  return std::make_unique<LinearModel>(Tensor::from_data(w, {4, 16}),
                                       Tensor::from_data(std::vector<float>(4, 0.0f), {4}));
}

EnsembleModel two_member_ensemble(std::vector<double> weights = {}) {
  std::vector<std::unique_ptr<nn::Module>> members;
  members.push_back(quadrant_model());
  members.push_back(contrast_model());
  return EnsembleModel(std::move(members), std::move(weights));
}

}  // namespace

TEST_CASE("Ensemble logits are the weighted sum of the members' logits (equal weights by default)") {
  const Tensor x = uniform_images({3, 1, 4, 4}, 9);
  auto first = quadrant_model();
  auto second = contrast_model();
  const Tensor l1 = (*first)(x), l2 = (*second)(x);
  EnsembleModel weighted = two_member_ensemble({0.3, 0.7});
  EnsembleModel equal = two_member_ensemble();
  CHECK(max_abs_difference(weighted(x), 0.3 * l1 + 0.7 * l2) < 1e-6);
  CHECK(max_abs_difference(equal(x), 0.5 * l1 + 0.5 * l2) < 1e-6);
  CHECK(equal.weights() == std::vector<double>{0.5, 0.5});
  CHECK(equal.describe() == "EnsembleModel(2 models, weights=[0.5, 0.5])");
}

TEST_CASE("Ensemble: train() and eval() reach every member, whose tensors are named 0.*, 1.*") {
  EnsembleModel ensemble = two_member_ensemble();
  ensemble.eval();
  CHECK_FALSE(ensemble.member(0).is_training());
  CHECK_FALSE(ensemble.member(1).is_training());
  ensemble.train();
  CHECK(ensemble.member(0).is_training());
  CHECK(ensemble.member(1).is_training());
  const std::vector<nn::NamedTensor> state = ensemble.state_dict();
  REQUIRE(state.size() == 4);
  CHECK(state[0].name == "0.weight");
  CHECK(state[3].name == "1.bias");
  CHECK(contains(error_message<IndexError>([&] { ensemble.member(2); }), "member 2"));
}

TEST_CASE("a targeted MI-FGSM on the Ensemble reaches the target on both members") {
  EnsembleModel ensemble = two_member_ensemble();
  const LabelledBatch batch = quadrant_batch(8);
  const Tensor targets = shifted_targets(8);
  REQUIRE(accuracy(ensemble.member(1), batch.images, batch.labels) == 1.0);
  MiFgsm attack({.threat = {Norm::Linf, 0.15}, .steps = 10, .targeted = true});
  const Tensor x_adv = attack(ensemble, batch.images, targets);
  check_in_ball(x_adv, batch.images, *attack.threat());
  CHECK(accuracy(ensemble.member(0), x_adv, targets) == 1.0);
  CHECK(accuracy(ensemble.member(1), x_adv, targets) == 1.0);
}

TEST_CASE("Ensemble: no models, mismatched or bad weights and disagreeing output shapes are refused") {
  CHECK(contains(error_message<ValueError>([] { EnsembleModel({}); }), "models"));
  CHECK(contains(error_message<ValueError>([] { two_member_ensemble({1.0}); }), "weights"));
  CHECK(contains(error_message<ValueError>([] { two_member_ensemble({0.5, -0.5}); }), "weights"));
  CHECK(contains(error_message<ValueError>([] { two_member_ensemble({0.0, 0.0}); }), "weights"));
  std::vector<std::unique_ptr<nn::Module>> members;
  members.push_back(quadrant_model());
  members.push_back(std::make_unique<LinearModel>(Tensor::zeros({2, 16}), Tensor::zeros({2})));
  EnsembleModel mismatched(std::move(members));
  const std::string message =
      error_message<ShapeError>([&] { mismatched(Tensor::zeros({1, 1, 4, 4})); });
  CHECK(contains(message, "[1, 4]"));
  CHECK(contains(message, "[1, 2]"));
}

}  // namespace attrax::adversarial
