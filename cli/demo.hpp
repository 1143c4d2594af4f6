#pragma once

namespace attrax::cli {

// `attrax demo [--epochs N] [--threads N] [--out DIR]`: the end-to-end run behind `make demo`:
// trains a ResNet-8 on Fashion-MNIST with a short one-cycle schedule, writes DIR/resnet8.safetensors
// and evaluates it on the test set. Returns the process exit code.
int run_demo(int argc, char** argv);

}  // namespace attrax::cli
