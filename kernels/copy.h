// Layout and dtype kernels used by Tensor itself (engine/tensor.cpp): strided gather into a
// contiguous buffer, dtype conversion and fill, for every dtype. CPU entries in
// kernels/cpu/copy.cpp, CUDA ones in kernels/cuda/copy.cu.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace cromss {

constexpr int kMaxCopyDims = 8;  // strided_copy's ndim limit

// The sizes and element strides of a strided tensor, held by value (the kernel's argument is
// self-contained, as a recorded or graph-captured call needs: core/graph_capture.h).
struct StridedLayout {
  int ndim = 0;
  int64_t sizes[kMaxCopyDims] = {};
  int64_t strides[kMaxCopyDims] = {};
};

// dst[i] = src[offset(i)] for the tensor `layout` describes, i in row-major order.
CROMSS_KERNEL(strided_copy, void(const void* src, void* dst, DType dtype,
                                 const StridedLayout& layout, int64_t count, const Context& ctx));
// dst[i] = dst_type(src[i]); bf16 and f16 round to nearest even.
CROMSS_KERNEL(convert, void(const void* src, DType src_type, void* dst, DType dst_type,
                            int64_t count, const Context& ctx));
// dst[i] = dtype(value).
CROMSS_KERNEL(fill, void(void* dst, DType dtype, double value, int64_t count, const Context& ctx));

}  // namespace cromss
