#pragma once
// Softmax family and classification losses.
#include "engine/tensor.hpp"

namespace attrax {

enum class Reduction { None, Mean, Sum };

// exp(x) / sum(exp(x)) along axis, computed stably.
Tensor softmax(const Tensor& x, int axis = -1);
// x - logsumexp(x) along axis.
Tensor log_softmax(const Tensor& x, int axis = -1);
// logp: [N,C], target: int64 [N] with values in [0, C) -> -logp[n, target[n]] reduced: [] or [N]
Tensor nll_loss(const Tensor& logp, const Tensor& target, Reduction reduction = Reduction::Mean);
// logits: [N,C], target: int64 [N] -> nll_loss(log_softmax(logits), target)
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::Mean);

}  // namespace attrax
