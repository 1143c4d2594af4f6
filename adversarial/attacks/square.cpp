// Square Attack (Andriushchenko et al. 2020): random search over square-shaped perturbations using
// only the model's scores; see square.hpp for the full statement. Every model call runs under
// NoGradGuard. The squares, signs and pattern orientations are drawn per sample from the seed.
#include "adversarial/attacks/square.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "adversarial/losses.hpp"
#include "adversarial/batch_rows.hpp"
#include "adversarial/random_streams.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

// ---- the loss ----

struct Evaluation {
  std::vector<double> loss;  // minimised
  std::vector<bool> goal;
};

// z_y − max_{i≠y} z_i per sample
std::vector<double> margins(const Tensor& logits, const Tensor& labels) {
  const std::int64_t n = logits.size(0), k = logits.size(1);
  const std::vector<double> z = logits.to_vector();
  std::vector<double> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t y = labels.data<std::int64_t>()[i];
    double other = -std::numeric_limits<double>::infinity();
    for (std::int64_t c = 0; c < k; ++c)
      if (c != y) other = std::max(other, z[std::size_t(i * k + c)]);
    out[std::size_t(i)] = z[std::size_t(i * k + y)] - other;
  }
  return out;
}

// One query per sample: the margin (untargeted) or the cross-entropy towards the target.
Evaluation evaluate(nn::Module& model, const Tensor& x, const Tensor& labels, bool targeted) {
  NoGradGuard no_grad;
  const Tensor logits = model(x).detach();
  return {targeted ? cross_entropy_per_sample(logits, labels).to_vector() : margins(logits, labels),
          goal_reached(logits, labels, targeted)};
}

// ---- geometry ----

struct ImageShape {
  std::int64_t channels, height, width;
  std::int64_t offset(std::int64_t channel, std::int64_t row, std::int64_t col) const {
    return (channel * height + row) * width + col;
  }
};

ImageShape image_shape(const Tensor& x) { return {x.size(1), x.size(2), x.size(3)}; }

struct Window {
  std::int64_t top, left, side;
  bool contains(std::int64_t row, std::int64_t col) const {
    return row >= top && row < top + side && col >= left && col < left + side;
  }
};

// A square of side `side` at a uniformly random position inside the image.
Window random_window(const ImageShape& image, std::int64_t side, Generator& gen) {
  const auto top = std::int64_t(gen.next_below(std::uint64_t(image.height - side + 1)));
  const auto left = std::int64_t(gen.next_below(std::uint64_t(image.width - side + 1)));
  return {top, left, side};
}

float random_sign(Generator& gen) { return gen.next_below(2) == 0 ? -1.0f : 1.0f; }

// The side of a square covering a fraction p of the image, s = round(sqrt(p · H · W)), at least
// `minimum` (and odd when `odd`), at most min(H, W).
std::int64_t square_side(double p, const ImageShape& image, std::int64_t minimum, bool odd) {
  auto side = std::max(std::int64_t(std::lround(std::sqrt(p * double(image.height * image.width)))), minimum);
  if (odd && side % 2 == 0) ++side;
  return std::min({side, image.height, image.width});
}

void normalise(std::vector<float>& v) {
  const double norm = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
  if (norm > 0)
    for (float& e : v) e = float(e / norm);
}

// Concentric rectangles around the centre (rows/2, cols/2), of unit norm: the pixel at Chebyshev
// distance d from the centre gets Σ_{k=d}^{K−1} 1/(k+1)², K = max(rows/2, cols/2) + 1.
std::vector<float> centred_rectangles(std::int64_t rows, std::int64_t cols) {
  const std::int64_t levels = std::max(rows / 2, cols / 2) + 1;
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      double value = 0;
      for (std::int64_t k = std::max(std::abs(r - rows / 2), std::abs(c - cols / 2)); k < levels; ++k)
        value += 1.0 / double((k + 1) * (k + 1));
      out[std::size_t(r * cols + c)] = float(value);
    }
  normalise(out);
  return out;
}

// The L2 attack's square pattern ("eta") of unit norm: rectangles in the top s/2 rows, their negative
// in the others; transposed on request.
std::vector<float> eta_pattern(std::int64_t side, bool transposed) {
  const std::int64_t upper = side / 2;
  const std::vector<float> top = centred_rectangles(upper, side),
                           bottom = centred_rectangles(side - upper, side);
  std::vector<float> pattern(top);
  for (float v : bottom) pattern.push_back(-v);
  normalise(pattern);
  if (!transposed) return pattern;
  std::vector<float> flipped(pattern.size());
  for (std::int64_t r = 0; r < side; ++r)
    for (std::int64_t c = 0; c < side; ++c)
      flipped[std::size_t(c * side + r)] = pattern[std::size_t(r * side + c)];
  return flipped;
}

// Σ δ² over the pixels of one channel that `inside` accepts.
template <class Inside>
double channel_squared_norm(const float* delta, const ImageShape& image, std::int64_t channel,
                            Inside inside) {
  double sq = 0;
  for (std::int64_t r = 0; r < image.height; ++r)
    for (std::int64_t c = 0; c < image.width; ++c)
      if (inside(r, c)) sq += double(delta[image.offset(channel, r, c)]) * delta[image.offset(channel, r, c)];
  return sq;
}

// One sample's L2 update of δ in place (the paper's Algorithm 3): with
// ε²_unused = ε² − ‖δ‖², window `to` gets, per channel i,
//   ν = η* · sign + δ_{to,i} / ‖δ_{to,i}‖,  rescaled to ‖ν‖ = sqrt(‖δ_{to∪from,i}‖² + max(ε²_unused, 0)/C),
// and window `from` is cleared: the mass of both windows, and the unused budget, moves onto `to`.
void move_square_mass(float* delta, const ImageShape& image, const Window& to, const Window& from,
                      const std::vector<float>& pattern, Generator& gen, double eps) {
  const auto everywhere = [](std::int64_t, std::int64_t) { return true; };
  const auto in_to = [&to](std::int64_t r, std::int64_t c) { return to.contains(r, c); };
  const auto in_either = [&to, &from](std::int64_t r, std::int64_t c) {
    return to.contains(r, c) || from.contains(r, c);
  };
  double image_sq = 0;
  for (std::int64_t ch = 0; ch < image.channels; ++ch)
    image_sq += channel_squared_norm(delta, image, ch, everywhere);
  const double unused_per_channel = std::max(eps * eps - image_sq, 0.0) / double(image.channels);
  const std::int64_t s = to.side;
  std::vector<std::vector<float>> moved(static_cast<std::size_t>(image.channels));
  for (std::int64_t ch = 0; ch < image.channels; ++ch) {
    const float sign = random_sign(gen);
    const double old_norm = std::sqrt(channel_squared_norm(delta, image, ch, in_to)) + 1e-12;
    const double available =
        std::sqrt(channel_squared_norm(delta, image, ch, in_either) + unused_per_channel);
    std::vector<float>& nu = moved[std::size_t(ch)];
    for (std::int64_t r = 0; r < s; ++r)
      for (std::int64_t c = 0; c < s; ++c)
        nu.push_back(float(pattern[std::size_t(r * s + c)] * sign +
                           delta[image.offset(ch, to.top + r, to.left + c)] / old_norm));
    normalise(nu);
    for (float& v : nu) v = float(v * available);
  }
  for (std::int64_t ch = 0; ch < image.channels; ++ch) {
    for (std::int64_t r = from.top; r < from.top + s; ++r)
      for (std::int64_t c = from.left; c < from.left + s; ++c) delta[image.offset(ch, r, c)] = 0;
    for (std::int64_t r = 0; r < s; ++r)
      for (std::int64_t c = 0; c < s; ++c)
        delta[image.offset(ch, to.top + r, to.left + c)] = moved[std::size_t(ch)][std::size_t(r * s + c)];
  }
}

// clip(x + ε · δ / ‖δ‖₂, 0, 1) per sample
Tensor on_l2_sphere(const Tensor& x, const Tensor& delta, double eps) {
  const Tensor norms = per_sample_norm(delta, Norm::L2).reshape({x.size(0), 1, 1, 1});
  return clamp(x + eps * delta / (norms + 1e-12), 0.0, 1.0);
}

// x + ε · u, u ∈ {−1, +1} per (sample, channel, column): vertical stripes, clipped to [0, 1].
Tensor linf_start(const Tensor& x, double eps, Generator& gen) {
  const ImageShape image = image_shape(x);
  Tensor stripes = Tensor::empty({x.size(0), image.channels, 1, image.width});
  float* u = stripes.data<float>();
  for (std::int64_t i = 0; i < stripes.numel(); ++i) u[i] = random_sign(gen);
  return clamp(x + eps * stripes, 0.0, 1.0);
}

// A centred grid of tiles of side max(min(H, W)/5, 1), each an eta pattern with a random sign per
// channel, scaled to ‖δ‖₂ = ε and clipped to [0, 1].
Tensor l2_start(const Tensor& x, double eps, Generator& gen) {
  const ImageShape image = image_shape(x);
  const std::int64_t n = x.size(0), per_sample = x.numel() / n;
  const std::int64_t side = std::max(std::min(image.height, image.width) / 5, std::int64_t(1));
  const std::int64_t rows = image.height / side, cols = image.width / side;
  const std::int64_t top = (image.height - rows * side) / 2, left = (image.width - cols * side) / 2;
  Tensor delta = Tensor::zeros(x.shape());
  for (std::int64_t i = 0; i < n; ++i) {
    float* d = delta.data<float>() + i * per_sample;
    for (std::int64_t tile = 0; tile < rows * cols; ++tile) {
      const std::int64_t tile_top = top + tile / cols * side, tile_left = left + tile % cols * side;
      const std::vector<float> pattern = eta_pattern(side, gen.next_below(2) == 1);
      for (std::int64_t ch = 0; ch < image.channels; ++ch) {
        const float sign = random_sign(gen);
        for (std::int64_t r = 0; r < side; ++r)
          for (std::int64_t c = 0; c < side; ++c)
            d[image.offset(ch, tile_top + r, tile_left + c)] = sign * pattern[std::size_t(r * side + c)];
      }
    }
  }
  return on_l2_sphere(x, delta, eps);
}

// Per sample a random square of side s = round(sqrt(p · H · W)) gets ±2ε, one sign per channel;
// then Π onto the ball ∩ [0, 1].
Tensor linf_candidate(const Tensor& x, const Tensor& x_best, double p, const ThreatModel& threat,
                      Generator& gen) {
  const ImageShape image = image_shape(x);
  const std::int64_t side = square_side(p, image, 1, false);
  const std::int64_t n = x.size(0), per_sample = x.numel() / n;
  Tensor step = Tensor::zeros(x.shape());
  for (std::int64_t i = 0; i < n; ++i) {
    float* d = step.data<float>() + i * per_sample;
    const Window w = random_window(image, side, gen);
    for (std::int64_t ch = 0; ch < image.channels; ++ch) {
      const auto value = float(2.0 * threat.eps * random_sign(gen));
      for (std::int64_t r = w.top; r < w.top + side; ++r)
        for (std::int64_t c = w.left; c < w.left + side; ++c) d[image.offset(ch, r, c)] = value;
    }
  }
  return project(x_best + step, x, threat);
}

// Per sample the mass of a random square moves onto another (move_square_mass), squares of odd
// side s = round(sqrt(p · H · W)) ≥ 3.
Tensor l2_candidate(const Tensor& x, const Tensor& x_best, double p, double eps, Generator& gen) {
  const ImageShape image = image_shape(x);
  const std::int64_t side = square_side(p, image, 3, true);
  const std::int64_t n = x.size(0), per_sample = x.numel() / n;
  Tensor delta = (x_best - x).clone();
  for (std::int64_t i = 0; i < n; ++i) {
    const Window to = random_window(image, side, gen), from = random_window(image, side, gen);
    const std::vector<float> pattern = eta_pattern(side, gen.next_below(2) == 1);
    move_square_mass(delta.data<float>() + i * per_sample, image, to, from, pattern, gen, eps);
  }
  return on_l2_sphere(x, delta, eps);
}

}  // namespace

void SquareOptions::validate() const {
  threat.validate();
  if (queries < 1) throw ValueError("queries: " + std::to_string(queries) + " must be at least 1");
  if (restarts < 1) throw ValueError("restarts: " + std::to_string(restarts) + " must be at least 1");
  if (!(p_init > 0 && p_init <= 1))
    throw ValueError("p_init: " + std::to_string(p_init) + " must lie in (0, 1]");
}

double square_fraction(double p_init, std::int64_t iteration, std::int64_t queries) {
  static constexpr std::array<std::int64_t, 9> kThresholds{10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
  // the iteration on the paper's scale of 10000 queries
  const std::int64_t scaled = iteration * 10000 / std::max<std::int64_t>(queries, 1);
  const auto halvings =
      std::count_if(kThresholds.begin(), kThresholds.end(), [scaled](std::int64_t t) { return scaled > t; });
  return p_init / double(std::int64_t(1) << halvings);
}

struct Square::RunResult {
  Tensor best;  // per sample: the goal point, or the point of lowest loss
  Evaluation evaluation;
};

Square::Square(SquareOptions options) : options_(std::move(options)), gen_(options_.seed, kAttackStream) {
  options_.validate();
}

Tensor Square::initial_point(const Tensor& x) {
  NoGradGuard no_grad;
  if (options_.threat.norm == Norm::Linf) return linf_start(x, options_.threat.eps, gen_);
  return l2_start(x, options_.threat.eps, gen_);
}

Tensor Square::candidate(const Tensor& x, const Tensor& x_best, double p) {
  NoGradGuard no_grad;
  if (options_.threat.norm == Norm::Linf) return linf_candidate(x, x_best, p, options_.threat, gen_);
  return l2_candidate(x, x_best, p, options_.threat.eps, gen_);
}

Square::RunResult Square::run_once(nn::Module& model, const Tensor& x, const Tensor& labels) {
  RunResult out;
  out.best = initial_point(x);
  out.evaluation = evaluate(model, out.best, labels, options_.targeted);
  for (std::int64_t query = 1; query < options_.queries; ++query) {
    const std::vector<std::int64_t> active = rows_where(out.evaluation.goal, false);
    if (active.empty()) break;
    const Tensor x_active = take_rows(x, active);
    const Tensor proposal = candidate(x_active, take_rows(out.best, active),
                                      square_fraction(options_.p_init, query - 1, options_.queries));
    const Evaluation result = evaluate(model, proposal, take_rows(labels, active), options_.targeted);
    // keep the proposal where it lowers the loss or reaches the goal
    std::vector<bool> accept(out.evaluation.goal.size(), false);
    for (std::size_t j = 0; j < active.size(); ++j) {
      const std::size_t i = std::size_t(active[j]);
      accept[i] = result.goal[j] || result.loss[j] < out.evaluation.loss[i];
      if (!accept[i]) continue;
      out.evaluation.loss[i] = result.loss[j];
      out.evaluation.goal[i] = result.goal[j];
    }
    NoGradGuard no_grad;
    out.best = select_samples(accept, replace_rows(out.best, active, proposal), out.best);
  }
  return out;
}

Tensor Square::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  // Samples at the goal from the start are done and stay clean.
  std::vector<bool> done = evaluate(model, x, labels, options_.targeted).goal;
  std::vector<double> best_loss(done.size(), std::numeric_limits<double>::infinity());
  Tensor result = x;
  for (std::int64_t restart = 0; restart < options_.restarts; ++restart) {
    const std::vector<std::int64_t> rows = rows_where(done, false);
    if (rows.empty()) break;
    const RunResult run = run_once(model, take_rows(x, rows), take_rows(labels, rows));
    // Keep the first success of a sample; while it has none, its point of lowest loss.
    std::vector<bool> take(done.size(), false);
    for (std::size_t j = 0; j < rows.size(); ++j) {
      const std::size_t i = std::size_t(rows[j]);
      take[i] = run.evaluation.goal[j] || run.evaluation.loss[j] < best_loss[i];
      done[i] = run.evaluation.goal[j];
      best_loss[i] = std::min(best_loss[i], run.evaluation.loss[j]);
    }
    NoGradGuard no_grad;
    result = select_samples(take, replace_rows(result, rows, run.best), result);
  }
  return result;
}

}  // namespace attrax::adversarial
