// Layout and dtype kernels used by Tensor itself (engine/tensor.cpp): strided gather into a
// contiguous buffer, dtype conversion and fill, for every dtype. CPU entries in
// kernels/cpu/copy.cpp, CUDA ones in kernels/cuda/copy.cu.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace cromss {

constexpr int kMaxCopyDims = 8;  // strided_copy's ndim limit

// dst[i] = src[offset(i)] for a tensor of `ndim` dims with the given sizes and element strides
// (host arrays), i in row-major order.
CROMSS_KERNEL(strided_copy,
              void(const void* src, void* dst, DType dtype, int ndim, const int64_t* sizes,
                   const int64_t* strides, int64_t count, const Context& ctx));
// dst[i] = dst_type(src[i]); bf16 and f16 round to nearest even.
CROMSS_KERNEL(convert, void(const void* src, DType src_type, void* dst, DType dst_type,
                            int64_t count, const Context& ctx));
// dst[i] = dtype(value).
CROMSS_KERNEL(fill, void(void* dst, DType dtype, double value, int64_t count, const Context& ctx));

}  // namespace cromss
