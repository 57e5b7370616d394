// Block copy behind concat and slice: `rows` rows of `row_bytes` bytes from src (rows
// `src_pitch` bytes apart) to dst (rows `dst_pitch` bytes apart). Concatenating or slicing a
// contiguous [outer, C, inner] tensor along C is one such copy per piece, for any dtype.
// cuda_kernels::copy_2d is ordered on the device's compute stream.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cromss::cpu_kernels {
void copy_2d(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
             int64_t rows);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void copy_2d(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
             int64_t rows, int device);
}  // namespace cromss::cuda_kernels
