// A ResNet in eval mode folds each batch norm into its convolution (nn::conv_batch_norm): logits and
// input gradients must match the unfolded model, obtained here by a pass-through hook on every batch
// norm (a hooked module always runs on its own).
#include <doctest/doctest.h>

#include <vector>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "models/registry.hpp"
#include "nn/nn.hpp"

using namespace attrax;
using namespace attrax::models;
using namespace attrax::models::testing;

namespace {

std::vector<nn::BatchNorm2d*> batch_norms(nn::Module& model) {
  std::vector<nn::BatchNorm2d*> out;
  for (auto& [path, module] : model.named_modules())
    if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(module)) out.push_back(bn);
  return out;
}

}  // namespace

TEST_CASE("a ResNet in eval mode gives the same logits and input gradients with folded batch norms") {
  auto model = create_model(tiny_resnet(), 5);
  Generator gen(8);
  const auto norms = batch_norms(*model);
  REQUIRE(norms.size() == 9);  // stem, two per block, two projections
  for (nn::BatchNorm2d* bn : norms) {
    const std::int64_t C = bn->weight.size(0);
    bn->weight = (Tensor::rand({C}, gen) + 0.5).requires_grad_();
    bn->bias = Tensor::randn({C}, gen).requires_grad_();
    bn->running_mean = Tensor::randn({C}, gen) * 0.3;
    bn->running_var = Tensor::rand({C}, gen) + 0.5;
  }
  model->eval();
  const Tensor x = random_images(3, 1, 12).requires_grad_();
  const Tensor v = Tensor::randn({3, 5}, gen);

  const Tensor folded = (*model)(x);
  const Tensor folded_grad = grad({sum(folded * v)}, {x})[0];
  int hooked = 0;
  for (nn::BatchNorm2d* bn : norms) bn->set_forward_hook([&](const Tensor& y) { ++hooked; return y; });
  const Tensor separate = (*model)(x);
  const Tensor separate_grad = grad({sum(separate * v)}, {x})[0];

  CHECK(hooked == 9);
  CHECK(max_abs_diff(folded, separate) < 1e-4);
  CHECK(max_abs_diff(folded_grad, separate_grad) < 1e-4);
  CHECK(max_abs_diff(folded, Tensor::zeros({3, 5})) > 1e-2);  // a non-trivial comparison
}
