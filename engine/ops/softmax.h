// Differentiable softmax and log-softmax along one axis (dim 1 = channels of NCHW), computed
// with the max-subtraction trick and fp32 accumulation on CUDA.
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor softmax(const Tensor& x, int64_t dim = 1);
Tensor log_softmax(const Tensor& x, int64_t dim = 1);

}  // namespace cromss
