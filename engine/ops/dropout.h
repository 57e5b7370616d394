// Dropout (element-wise) and Dropout2d (whole channels of (N, C, H, W), nchw or nhwc), PyTorch
// semantics: in training, kept values are scaled by 1/(1-p); in eval (or p = 0) the op is the
// identity. The mask is drawn from the counter-based generator (core/random.cuh) with `seed`, so
// CPU and CUDA, nchw and nhwc drop the same elements.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace cromss {

Tensor dropout(const Tensor& x, double p, bool training, uint64_t seed);
Tensor dropout2d(const Tensor& x, double p, bool training, uint64_t seed);

}  // namespace cromss
