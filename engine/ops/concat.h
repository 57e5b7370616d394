// Differentiable concatenation along one axis (dim 1 = channels: U-Net skips, PSP/ASPP branches).
#pragma once

#include <vector>

#include "engine/tensor.h"

namespace cromss {

Tensor concat(const std::vector<Tensor>& xs, int64_t dim = 1);

}  // namespace cromss
