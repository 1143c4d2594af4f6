#pragma once
// `attrax eval --model m.safetensors [--data fmnist] [--limit N] [--json] [--threads N]`: accuracy,
// per-class accuracy, confusion matrix and mean confidence of a model file on a test set.
namespace attrax::cli {

// Returns the exit code.
int run_eval(int argc, char** argv);

}  // namespace attrax::cli
