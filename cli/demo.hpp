#pragma once

namespace attrax::cli {

// `attrax demo [--steps N] [--seed S]`: the smallest real end-to-end run of the engine. Returns the
// process exit code.
int run_demo(int argc, char** argv);

}  // namespace attrax::cli
