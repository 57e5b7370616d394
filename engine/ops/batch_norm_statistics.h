// What batch_norm2d and batch_norm_relu share (engine/ops/batch_norm.h,
// engine/ops/batch_norm_relu.h): the argument checks, and the statistics to normalise with —
// the batch's mean and biased variance in training (updating the running statistics in place),
// copies of the running statistics in eval. x may be dense NCHW or NHWC (check_float_activations).
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

}  // namespace cromss
