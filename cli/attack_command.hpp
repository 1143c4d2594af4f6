#pragma once
// `attrax attack --model m.safetensors --input x.png|x.npy --attack A [--eps E] [--target T]
// [--label Y] --out DIR`: runs one attack on one image and writes DIR/<stem>-adv.png and
// DIR/<stem>-adv.npy (the adversarial image, [C, H, W] in [0, 1]); prints the prediction before and
// after and the perturbation's size.
namespace attrax::cli {

// Returns the exit code.
int run_attack(int argc, char** argv);

}  // namespace attrax::cli
