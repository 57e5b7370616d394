// Device-side layout and dtype kernels used by Tensor itself: strided gather into a contiguous
// buffer, dtype conversion and fill. CPU versions live in engine/tensor.cpp; these are the CUDA
// ones (kernels/cuda/copy.cu), called only when the tensor is on a CUDA device.
#pragma once

#include <cstdint>

#include "core/context.h"
#include "core/dtype.h"

namespace cromss::cuda_kernels {

constexpr int kMaxCopyDims = 8;

// dst[i] = src[offset(i)] for a tensor of `ndim` dims with the given sizes and element strides.
void strided_copy(const void* src, void* dst, DType dtype, int ndim, const int64_t* sizes,
                  const int64_t* strides, int64_t count, const Context& ctx);
void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t count,
             const Context& ctx);
void fill(void* dst, DType dtype, double value, int64_t count, const Context& ctx);

}  // namespace cromss::cuda_kernels
