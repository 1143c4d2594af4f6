#pragma once
// Batch norm with a ReLU after it, and a residual added in between (ResNet's "bn -> relu" and
// "bn -> + shortcut -> relu"), as one pass instead of two or three:
//   y = max(x scale[c] + shift[c] + residual, 0)
// Its gradient reaches batch norm's output through the ReLU's gate: grad ⊙ [y > 0].
namespace attrax::kernels {

// Where the backward kernels find the gate [y > 0].
template <class T>
struct ReluGate {
  // y, the ReLU's output; or null without a residual: the gate is then [x scale[c] + shift[c] > 0],
  // recomputed from x (which the backward pass reads anyway) with the forward pass's arithmetic.
  const T* output = nullptr;
  const T* scale = nullptr;
  const T* shift = nullptr;
  // Receives grad ⊙ [y > 0], the residual's gradient; or null.
  T* gated_grad = nullptr;
};

}  // namespace attrax::kernels
