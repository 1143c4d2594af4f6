#pragma once
// Every differentiable op of the engine.
#include "engine/ops/activation.hpp"
#include "engine/ops/conv.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/linalg.hpp"
#include "engine/ops/loss.hpp"
#include "engine/ops/normalization.hpp"
#include "engine/ops/pool.hpp"
#include "engine/ops/reduction.hpp"
#include "engine/ops/shape_ops.hpp"
