#include "adversarial/attacks/fgsm.hpp"

#include "engine/autograd.hpp"
#include "engine/ops.hpp"

namespace attrax::adversarial {

Tensor Fgsm::run(nn::Module& model, const Tensor& x, const Tensor& labels) {
  const Tensor g =
      loss_gradient(model, x, labels, ascent_loss(options_.loss, options_.targeted)).gradient;
  NoGradGuard no_grad;
  return project(x + options_.threat.eps * ascent_direction(g, options_.threat.norm), x,
                 options_.threat);
}

}  // namespace attrax::adversarial
