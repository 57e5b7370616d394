// Differentiable layout ops: reshape (a view of a contiguous tensor), slice (a copy of a range
// along one axis, e.g. splitting the stacked S1+S2 image into the two modalities) and
// to_memory_format (an nchw <-> nhwc conversion at a network's input and head).
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor reshape(const Tensor& x, const Shape& shape);
// Along any axis of x; the output and the gradient are in x's memory format.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// x dense in format f (x itself when it already is); the gradient returns in x's format.
Tensor to_memory_format(const Tensor& x, MemoryFormat f);

// Not recorded by autograd: copies indices [src_start, src_start + length) of `src` along `dim`
// into indices [dst_start, dst_start + length) of `dst`. Both dense in src's memory format (nchw
// or nhwc for 4-D, row-major otherwise), same dtype and device, same sizes on every other axis
// (the building block of concat and slice and their backwards).
void copy_range(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int64_t dim,
                int64_t length);

}  // namespace cromss
