#pragma once
// An ensemble of classifiers fused in logits (Dong et al. 2018, "Boosting Adversarial Attacks with
// Momentum", §3.2):
//   l(x) = Σ_i w_i · l_i(x),   w_i ≥ 0, by default w_i = 1/K (Dong et al. take Σ_i w_i = 1; other
//   non-negative weights are used as given, not renormalised).
// Any attack run on an EnsembleModel is the ensemble attack (Dong et al. run it targeted as well as
// untargeted). The members are children "0", "1", … so train()/eval() and state_dict() reach them.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace attrax::adversarial {

class EnsembleModel : public nn::Module {
 public:
  // ValueError for no models, a null model, a weight count other than the model count, or weights
  // that are negative, non-finite or all zero. Empty weights mean equal weights 1/K.
  explicit EnsembleModel(std::vector<std::unique_ptr<nn::Module>> models,
                         std::vector<double> weights = {});

  // Σ_i w_i · member_i(x); ShapeError naming both shapes when two members' logits differ in shape.
  Tensor forward(const Tensor& x) override;
  // "EnsembleModel(2 models, weights=[0.5, 0.5])"
  std::string describe() const override;

  std::size_t size() const { return members_.size(); }
  nn::Module& member(std::size_t index);  // IndexError outside [0, size())
  const std::vector<double>& weights() const { return weights_; }

 private:
  std::vector<nn::Module*> members_;
  std::vector<double> weights_;
};

}  // namespace attrax::adversarial
