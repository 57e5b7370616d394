// Resize kernels on contiguous NCHW data viewed as planes = n * c images of h x w.
// cpu_kernels:: run f32/f64; cuda_kernels:: run f32, f64, bf16 and f16 with fp32 accumulation.
// Backward kernels write (not add) the full input gradient.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/resize.cuh"

namespace cromss::cpu_kernels {
template <class T>
void upsample_nearest2x_forward(const T* x, int64_t planes, int64_t h, int64_t w, T* y);
template <class T>
void upsample_nearest2x_backward(const T* grad_out, int64_t planes, int64_t h, int64_t w,
                                 T* grad_x);
template <class T>
void resize_bilinear_forward(const T* x, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                             int64_t out_w, bool align_corners, T* y);
template <class T>
void resize_bilinear_backward(const T* grad_out, int64_t planes, int64_t in_h, int64_t in_w,
                              int64_t out_h, int64_t out_w, bool align_corners, T* grad_x);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void upsample_nearest2x_forward(const void* x, DType dtype, int64_t planes, int64_t h, int64_t w,
                                void* y, int device);
void upsample_nearest2x_backward(const void* grad_out, DType dtype, int64_t planes, int64_t h,
                                 int64_t w, void* grad_x, int device);
void resize_bilinear_forward(const void* x, DType dtype, int64_t planes, int64_t in_h, int64_t in_w,
                             int64_t out_h, int64_t out_w, bool align_corners, void* y, int device);
void resize_bilinear_backward(const void* grad_out, DType dtype, int64_t planes, int64_t in_h,
                              int64_t in_w, int64_t out_h, int64_t out_w, bool align_corners,
                              void* grad_x, int device);
}  // namespace cromss::cuda_kernels
