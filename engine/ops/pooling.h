// Differentiable pooling of (N, C, H, W) activations, nchw or nhwc: max pool (square kernel,
// stride, padding; padded cells never win, PyTorch semantics; ties go to the first maximum) and
// adaptive average pool to any output size (PyTorch's start = floor(i*in/out),
// end = ceil((i+1)*in/out) bins). Outputs and input gradients are in the input's format.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace cromss {

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding);
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace cromss
