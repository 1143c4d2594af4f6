#pragma once
// nn/: modules, layers and initialisation (optimizers and schedules in nn/optim/, files in nn/io/).
#include "nn/init.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batch_norm2d.hpp"
#include "nn/layers/containers.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/conv_batch_norm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/normalize.hpp"
#include "nn/layers/pooling.hpp"
#include "nn/module.hpp"
