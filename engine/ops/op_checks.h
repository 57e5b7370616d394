// Argument checks shared by op implementations; each throws ValueError naming the op.
#pragma once

#include "engine/tensor.h"

namespace cromss {

// Defined, same device and dtype, floating, contiguous.
void check_float_inputs(const char* op, std::initializer_list<const Tensor*> inputs);
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
void check_dim(const char* op, const Tensor& t, int64_t dim, const char* what);

}  // namespace cromss
