// Convolution kernels on dense buffers in the geometry's memory format: NCHW x / y with a
// (K, C/groups, kh, kw) weight, or NHWC x / y with a (K, kh, kw, C/groups) weight (layouts in
// kernels/conv2d.cuh; engine/ops/conv2d.cpp converts the weight parameter, which stays
// (K, C/groups, kh, kw), and its gradient). bias and grad-bias pointers may be null (no bias).
// cpu_kernels:: run f32/f64 (the im2col + GEMM reference); cuda_kernels:: run f32, f64, bf16 and
// f16 through cuDNN with fp32 accumulation for the 16-bit types. Every kernel overwrites its
// output.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/conv2d.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(conv2d_forward, void(const Conv2dGeometry& g, const void* x, const void* weight,
                                   const void* bias, void* y, DType dtype, const Context& ctx));
CROMSS_KERNEL(conv2d_backward_input,
              void(const Conv2dGeometry& g, const void* grad_y, const void* weight, void* grad_x,
                   DType dtype, const Context& ctx));
CROMSS_KERNEL(conv2d_backward_weight,
              void(const Conv2dGeometry& g, const void* x, const void* grad_y, void* grad_weight,
                   DType dtype, const Context& ctx));
CROMSS_KERNEL(conv2d_backward_bias, void(const Conv2dGeometry& g, const void* grad_y,
                                         void* grad_bias, DType dtype, const Context& ctx));

namespace cpu_kernels {  // the typed reference loops behind the CPU entries (f32, f64)
template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* weight, const T* bias, T* y);
template <class T>
void conv2d_backward_input(const Conv2dGeometry& g, const T* grad_y, const T* weight, T* grad_x);
template <class T>
void conv2d_backward_weight(const Conv2dGeometry& g, const T* x, const T* grad_y, T* grad_weight);
template <class T>
void conv2d_backward_bias(const Conv2dGeometry& g, const T* grad_y, T* grad_bias);
}  // namespace cpu_kernels

namespace cuda_kernels {  // CUDA-only helpers
// Custom kernels (kernels/cuda/conv2d_bias.cu): y[n, k, :, :] += bias[k] and its reduction.
void conv2d_add_bias(const Conv2dGeometry& g, const void* bias, void* y, DType dtype,
                     const Context& ctx);
}  // namespace cuda_kernels

}  // namespace cromss
