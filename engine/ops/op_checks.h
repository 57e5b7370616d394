// Argument checks shared by op implementations; each throws ValueError naming the op.
#pragma once

#include "engine/tensor.h"

namespace cromss {

// Defined, same device and dtype, floating, contiguous.
void check_float_inputs(const char* op, std::initializer_list<const Tensor*> inputs);
// For ops that serve both memory formats: as check_float_inputs, except that the 4-D inputs may
// be dense nchw or nhwc; every one must be dense in the format of the first, which is returned
// (nchw when there is no 4-D input). Other inputs (weights, per-channel vectors) stay contiguous.
MemoryFormat check_float_activations(const char* op, std::initializer_list<const Tensor*> inputs);
// The memory format of t as an op's input (the format of the op's outputs and of t's gradient):
// a 4-D tensor's own, row-major (nchw) for any other rank.
MemoryFormat activation_format(const Tensor& t);
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
void check_dim(const char* op, const Tensor& t, int64_t dim, const char* what);

}  // namespace cromss
