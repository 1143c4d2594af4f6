// Logit-fusion ensemble (Dong et al. 2018): l(x) = Σ_i w_i · l_i(x).
#include "adversarial/ensemble.hpp"

#include <cmath>
#include <sstream>

#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {
namespace {

// The weights as given, or 1/K each when none are; ValueError naming the problem.
std::vector<double> checked_weights(std::vector<double> weights, std::size_t models) {
  if (weights.empty()) return std::vector<double>(models, 1.0 / double(models));
  if (weights.size() != models)
    throw ValueError("EnsembleModel: weights: got " + std::to_string(weights.size()) + " weights for " +
                     std::to_string(models) + " models");
  double total = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0)
      throw ValueError("EnsembleModel: weights: weight " + std::to_string(i) + " is " +
                       std::to_string(weights[i]) + ", expected a finite number >= 0");
    total += weights[i];
  }
  if (total <= 0) throw ValueError("EnsembleModel: weights: all weights are zero");
  return weights;
}

}  // namespace

EnsembleModel::EnsembleModel(std::vector<std::unique_ptr<nn::Module>> models, std::vector<double> weights) {
  if (models.empty()) throw ValueError("EnsembleModel: models: no models given");
  for (std::size_t i = 0; i < models.size(); ++i)
    if (!models[i]) throw ValueError("EnsembleModel: models: model " + std::to_string(i) + " is null");
  weights_ = checked_weights(std::move(weights), models.size());
  for (std::size_t i = 0; i < models.size(); ++i)
    members_.push_back(&register_module(std::to_string(i), std::move(models[i])));
}

// l(x) = Σ_i w_i l_i(x)
Tensor EnsembleModel::forward(const Tensor& x) {
  Tensor fused;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const Tensor logits = (*members_[i])(x);
    if (fused.defined() && !(logits.shape() == fused.shape()))
      throw ShapeError("EnsembleModel: member " + std::to_string(i) + " returned logits " +
                       logits.shape().str() + " but member 0 returned " + fused.shape().str() +
                       "; every member must output the same shape");
    fused = fused.defined() ? fused + weights_[i] * logits : weights_[i] * logits;
  }
  return fused;
}

std::string EnsembleModel::describe() const {
  std::ostringstream out;
  out << "EnsembleModel(" << members_.size() << " models, weights=[";
  for (std::size_t i = 0; i < weights_.size(); ++i) out << (i ? ", " : "") << weights_[i];
  out << "])";
  return out.str();
}

nn::Module& EnsembleModel::member(std::size_t index) {
  if (index >= members_.size())
    throw IndexError("EnsembleModel: member " + std::to_string(index) + " outside [0, " +
                     std::to_string(members_.size()) + ")");
  return *members_[index];
}

}  // namespace attrax::adversarial
