#pragma once
// The input gradient of a 3x3 convolution at stride 2 with padding 1 (ResNet's downsampling layers),
// computed directly from dy with output positions in the vector lanes, so that it stores whole
// vectors into dx rows where the phase GEMMs of conv_input_grad.cpp store tiles one float at a time
// (their positions lie two columns apart in dx).
#include <cstdint>

#include "engine/kernels/geometry.hpp"

namespace attrax::kernels::fast {

// Whether g is a one-group 3x3 convolution at stride 2, padding 1 and dilation 1 whose dy rows fill
// enough of the vector lanes for this kernel to beat the phase GEMMs (see the .cpp).
bool input_grad_s2_applies(const ConvGeometry& g);

// dx = conv_transpose2d(dy, w) for such a g; dx is overwritten.
void input_grad_s2(const ConvGeometry& g, const float* dy, const float* w, float* dx);

}  // namespace attrax::kernels::fast
