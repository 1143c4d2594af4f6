#pragma once
// Weight initialisation as torch.nn.init, drawing from the engine's counter-based generator.
// fan_in of a weight [out, in, k...] is in · Πk, fan_out is out · Πk.
#include "engine/random.hpp"
#include "engine/tensor.hpp"

namespace attrax::nn::init {

enum class Fan { In, Out };

// fan_in or fan_out of a weight of rank >= 2 (ValueError for lower ranks).
std::int64_t fan(const Tensor& weight, Fan mode);

// Fills `t` in place with U(−bound, bound).
void uniform_(Tensor& t, double bound, Generator& gen);
// Fills `t` in place with N(0, std²).
void normal_(Tensor& t, double std, Generator& gen);

// kaiming_uniform_(a): bound = gain · sqrt(3 / fan), gain = sqrt(2 / (1 + a²)). With a = sqrt(5) and
// fan_in this is PyTorch's default for Conv2d and Linear weights: bound = 1 / sqrt(fan_in).
void kaiming_uniform_(Tensor& weight, double a, Fan mode, Generator& gen);
// kaiming_normal_ for ReLU: std = sqrt(2 / fan) (torchvision's ResNet uses fan_out).
void kaiming_normal_(Tensor& weight, Fan mode, Generator& gen);

}  // namespace attrax::nn::init
