#pragma once
// `attrax eval --model m.safetensors [--data fmnist] [--limit N] [--json] [--threads N]`: accuracy,
// per-class accuracy, confusion matrix and mean confidence of a model file on a test set.
// With `--attack A[,B] --eps E[,E2] [--steps K] [--alpha A] [--restarts R] [--norm linf|l2]`:
// clean and robust accuracy per attack and ε, success rate, mean perturbation and the
// gradient-masking checks (warnings on stderr when one fails; `--no-checks` skips them).
namespace attrax::cli {

// Returns the exit code.
int run_eval(int argc, char** argv);

}  // namespace attrax::cli
