// Differentiable sums and means over a set of axes (empty = all axes).
#pragma once

#include <vector>

#include "engine/tensor.h"

namespace cromss {

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);

}  // namespace cromss
