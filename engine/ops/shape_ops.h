// Differentiable layout ops: reshape (a view of a contiguous tensor) and slice (a copy of a
// range along one axis, e.g. splitting the stacked S1+S2 image into the two modalities).
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor reshape(const Tensor& x, const Shape& shape);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t length);

}  // namespace cromss
