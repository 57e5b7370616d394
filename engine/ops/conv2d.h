// Differentiable 2-D convolution: input (N, C_in, H, W) dense in either memory format (nchw or
// nhwc, core/memory_format.h), weight (C_out, C_in/groups, kH, kW) contiguous, optional bias
// (C_out). The output and the input gradient come in the input's format; for an nhwc input the
// weight is handed to the kernels as (C_out, kH, kW, C_in/groups) (kernels/conv2d.cuh) and its
// gradient returned contiguous like the weight. CPU: f32 on oneDNN, f64 on the im2col + GEMM
// reference. CUDA: cuDNN with algorithms cached under a key that holds every property of the
// convolution (shapes, strides, format, dtype, padding, stride, dilation, groups). x, weight and
// bias share one dtype.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace cromss {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  // Square stride, padding and dilation.
  static Conv2dParams square(int64_t stride, int64_t padding, int64_t dilation = 1,
                             int64_t groups = 1) {
    return {stride, stride, padding, padding, dilation, dilation, groups};
  }
};

// Output size of one spatial axis: (in + 2*pad - dilation*(k-1) - 1) / stride + 1.
int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation);

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

}  // namespace cromss
