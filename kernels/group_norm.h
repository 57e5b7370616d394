// Group-normalisation kernels on contiguous NCHW data viewed as [n, c, hw] with `groups` groups
// of c / groups consecutive channels; statistics per (sample, group), i.e. per contiguous row of
// (c / groups) * hw values. cpu_kernels:: run f32/f64 with every small buffer in the same type.
// cuda_kernels:: take x / y / gradients in `dtype` (f32, f64, bf16, f16) and mean / var
// ([n * groups]), weight / bias and their gradients ([c]) in the accumulation type (f32, or f64
// when dtype is f64). var is the biased variance. weight and bias may be null (no affine).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/batch_norm.cuh"

namespace cromss::cpu_kernels {
template <class T>
void group_norm_stats(const T* x, int64_t n, int64_t c, int64_t hw, int64_t groups, T* mean,
                      T* var);
template <class T>
void group_norm_forward(const T* x, const T* mean, const T* var, const T* weight, const T* bias,
                        double eps, int64_t n, int64_t c, int64_t hw, int64_t groups, T* y);
// grad_weight[c] = sum dy * xhat, grad_bias[c] = sum dy (either may be null).
template <class T>
void group_norm_param_grads(const T* grad_out, const T* x, const T* mean, const T* var, double eps,
                            int64_t n, int64_t c, int64_t hw, int64_t groups, T* grad_weight,
                            T* grad_bias);
template <class T>
void group_norm_backward_x(const T* grad_out, const T* x, const T* mean, const T* var,
                           const T* weight, double eps, int64_t n, int64_t c, int64_t hw,
                           int64_t groups, T* grad_x);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void group_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                      void* mean, void* var, int device);
void group_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        int64_t groups, void* y, int device);
void group_norm_param_grads(const void* grad_out, const void* x, const void* mean, const void* var,
                            double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                            int64_t groups, void* grad_weight, void* grad_bias, int device);
void group_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, double eps, DType dtype, int64_t n, int64_t c,
                           int64_t hw, int64_t groups, void* grad_x, int device);
}  // namespace cromss::cuda_kernels
