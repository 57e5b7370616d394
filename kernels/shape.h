// Block copy behind concat and slice: `rows` rows of `row_bytes` bytes from src (rows
// `src_pitch` bytes apart) to dst (rows `dst_pitch` bytes apart). Concatenating or slicing a
// contiguous [outer, C, inner] tensor along C is one such copy per piece, for any dtype.
// cuda_kernels::copy_2d is ordered on the device's compute stream.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(copy_2d, void(void* dst, size_t dst_pitch, const void* src, size_t src_pitch,
                            size_t row_bytes, int64_t rows, const Context& ctx));

}  // namespace cromss
