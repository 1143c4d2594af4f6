#pragma once
// torch_ref.py's end-to-end workloads on ResNet-8 and ResNet-20 (one 28x28 input channel, 10 classes).
#include "bench/report.hpp"

namespace attrax::bench {

// For name = resnet8, resnet20, with the median of torch_ref.py's repetitions:
//   {name}_train_img_s          SGD training step at batch 128, images/s
//   {name}_fgsm_train_img_s     FGSM adversarial training: PGD-1 (alpha 0.125) + training step
//   {name}_pgd7_train_img_s     PGD-7 adversarial training (eps 0.1, alpha 0.025) + training step
//   {name}_infer_b1_ms          one image through the eval-mode model without a tape, ms
//   {name}_ig32_ms              Integrated Gradients, 32 steps in one batch, ms
//   {name}_smoothgrad50_ms      SmoothGrad, 50 noisy copies (sigma 0.15) in one batch, ms
//   {name}_gradcam_ms           Grad-CAM on the layer3 activation, upsampled to 28x28, ms
// and peak_rss_mb, the process's peak resident set (getrusage) after the training steps.
void run_end_to_end(Report& report);

}  // namespace attrax::bench
