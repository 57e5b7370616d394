// Differentiable concatenation along one axis (dim 1 = channels: U-Net skips, PSP/ASPP branches),
// nchw or nhwc: the output is in the first input's memory format.
#pragma once

#include <vector>

#include "engine/tensor.h"

namespace cromss {

Tensor concat(const std::vector<Tensor>& xs, int64_t dim = 1);

}  // namespace cromss
