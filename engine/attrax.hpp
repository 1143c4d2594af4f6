#pragma once
// The engine's public surface: tensors, autodiff, random numbers and ops.
#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/gradient_rules.hpp"
#include "engine/ops.hpp"
#include "engine/random.hpp"
#include "engine/tensor.hpp"
