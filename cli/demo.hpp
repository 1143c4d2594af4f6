#pragma once

namespace attrax::cli {

// `attrax demo [--epochs N] [--adv-epochs N] [--robust-limit N] [--threads N] [--out DIR]`: the
// end-to-end run behind `make demo`: trains a ResNet-8 on Fashion-MNIST with a short one-cycle
// schedule (DIR/resnet8.safetensors) and evaluates it on the test set, trains a fast FGSM-AT
// ResNet-8 at ε = 0.1 (DIR/resnet8-fgsm-at.safetensors), and prints both models' clean and PGD-20
// accuracy on the first N test images (1000) with the gradient-masking checks. Returns the exit code.
int run_demo(int argc, char** argv);

}  // namespace attrax::cli
