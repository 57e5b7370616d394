// What conv2d (engine/ops/conv2d.h) shares with the ops that run a convolution inside a fused
// kernel (engine/ops/conv2d_batch_norm.h): the argument checks and geometry, the weight in the
// layout the kernels read, and the backward recorded for a convolution's output.
#pragma once

#include "engine/ops/conv2d.h"
#include "kernels/conv2d.cuh"

namespace cromss {

// Checks x, weight and the optional bias (ValueError naming conv2d) and returns the geometry.
Conv2dGeometry conv2d_geometry(const Tensor& x, const Tensor& weight, const Tensor& bias,
                               const Conv2dParams& p);
// The weight in the layout the kernels read for g.format (a view when it already is).
Tensor conv2d_kernel_weight(const Conv2dGeometry& g, const Tensor& weight);
// Records y = conv2d(x, weight, bias) on the tape when any input requires a gradient;
// kernel_weight is conv2d_kernel_weight(g, weight.detach()), kept for the input gradient.
void record_conv2d(const Conv2dGeometry& g, Tensor& y, const Tensor& x, const Tensor& weight,
                   const Tensor& kernel_weight, const Tensor& bias);

}  // namespace cromss
