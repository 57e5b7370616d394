// Batch-normalisation kernels on contiguous NCHW data viewed as [n, c, hw]; statistics per
// channel over n * hw values. cpu_kernels:: run f32/f64 with every per-channel buffer in the same
// type. cuda_kernels:: take x / y / gradients in `dtype` (f32, f64, bf16, f16) and every
// per-channel buffer (mean, var, weight, bias, running stats, sums) in the accumulation type:
// f32, or f64 when dtype is f64. `var` is always the biased variance used for normalisation.
// weight and bias may be null (no affine: weight 1, bias 0).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/batch_norm.cuh"

namespace cromss::cpu_kernels {
template <class T>
void batch_norm_stats(const T* x, int64_t n, int64_t c, int64_t hw, T* mean, T* var);
// running_var receives the unbiased variance of the count = n * hw values.
template <class T>
void batch_norm_update_running(const T* mean, const T* var, int64_t c, int64_t count,
                               double momentum, T* running_mean, T* running_var);
template <class T>
void batch_norm_forward(const T* x, const T* mean, const T* var, const T* weight, const T* bias,
                        double eps, int64_t n, int64_t c, int64_t hw, T* y);
// sum_g[c] = sum dy, sum_g_xhat[c] = sum dy * xhat: the bias and weight gradients.
template <class T>
void batch_norm_channel_sums(const T* grad_out, const T* x, const T* mean, const T* var, double eps,
                             int64_t n, int64_t c, int64_t hw, T* sum_g, T* sum_g_xhat);
// training: statistics depend on x (batch stats); otherwise fixed (running stats).
template <class T>
void batch_norm_backward_x(const T* grad_out, const T* x, const T* mean, const T* var,
                           const T* weight, const T* sum_g, const T* sum_g_xhat, double eps,
                           bool training, int64_t n, int64_t c, int64_t hw, T* grad_x);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void batch_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, void* mean,
                      void* var, int device);
void batch_norm_update_running(const void* mean, const void* var, DType dtype, int64_t c,
                               int64_t count, double momentum, void* running_mean,
                               void* running_var, int device);
void batch_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        void* y, int device);
void batch_norm_channel_sums(const void* grad_out, const void* x, const void* mean, const void* var,
                             double eps, DType dtype, int64_t n, int64_t c, int64_t hw, void* sum_g,
                             void* sum_g_xhat, int device);
void batch_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, const void* sum_g, const void* sum_g_xhat,
                           double eps, bool training, DType dtype, int64_t n, int64_t c, int64_t hw,
                           void* grad_x, int device);
}  // namespace cromss::cuda_kernels
