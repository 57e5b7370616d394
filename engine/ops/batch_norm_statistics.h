// What batch_norm2d, batch_norm_relu and conv2d_batch_norm share (engine/ops/batch_norm.h,
// engine/ops/batch_norm_relu.h, engine/ops/conv2d_batch_norm.h): the argument checks, the
// statistics to normalise with — the batch's mean and biased variance in training (updating the
// running statistics in place), copies of the running statistics in eval — and the normalisation
// itself given those statistics, with its backward. x may be dense NCHW or NHWC
// (check_float_activations).
#pragma once

#include "engine/tensor.h"

namespace cromss {

struct BatchNormStatistics {
  Tensor mean, var;     // [c] in the parameter dtype (f32, or f64 for f64 x)
  MemoryFormat format;  // x's (nchw or nhwc); outputs and input gradients are written in it
  ChannelView view;     // x as (outer, c, inner), core/memory_format.h
  int64_t c;
};

// `op` names the caller in error messages.
BatchNormStatistics batch_norm_statistics(const char* op, const Tensor& x, const Tensor& weight,
                                          const Tensor& bias, Tensor& running_mean,
                                          Tensor& running_var, bool training, double momentum);
// The checks and x's layout only (mean and var left undefined), for statistics computed elsewhere.
BatchNormStatistics batch_norm_layout(const char* op, const Tensor& x, const Tensor& weight,
                                      const Tensor& bias, const Tensor& running_mean,
                                      const Tensor& running_var, bool training);
// running = (1 - momentum) * running + momentum * batch (unbiased variance), st being x's batch
// statistics; nothing without running statistics.
void update_running_statistics(const BatchNormStatistics& st, const Tensor& x, Tensor& running_mean,
                               Tensor& running_var, double momentum);
// The dtype of statistics and affine parameters for activations of dtype x: f64 for f64, else f32.
DType param_dtype_for(DType x);

// y = batch_norm2d(x) / relu(batch_norm2d(x) [+ residual]) with the statistics st, recorded on the
// tape; training says whether st are x's batch statistics (their gradient flows back to x).
// `op` names the tape entry.
Tensor batch_norm2d_apply(const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const BatchNormStatistics& st, bool training, double eps);
Tensor batch_norm_relu_apply(const char* op, const Tensor& x, const Tensor& weight,
                             const Tensor& bias, const BatchNormStatistics& st, bool training,
                             const Tensor& residual, double eps);
// The residual's checks (x's shape, dtype, device and format); nothing when it is undefined.
void check_residual(const char* op, const Tensor& x, const Tensor& residual);

}  // namespace cromss
