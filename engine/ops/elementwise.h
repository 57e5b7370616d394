// Differentiable elementwise ops on same-shape tensors of one device and dtype.
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& x, double alpha);  // alpha * x
Tensor relu(const Tensor& x);
// dst += src, not recorded by autograd (gradient accumulation, optimizer helpers).
void add_inplace(Tensor& dst, const Tensor& src);

}  // namespace cromss
