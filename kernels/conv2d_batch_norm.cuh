// Per-channel math of the fused convolution + batch norm (kernels/conv2d_batch_norm.h), shared by
// the CUDA kernels that finish a fused cuDNN graph (kernels/cuda/conv2d_batch_norm.cu) and the CPU
// tests that check it against the batch-norm reference. A is the accumulation type.
//
// Batch statistics from the sums a statistics epilogue writes over `count` values:
//   mean = sum / count,  var = max(sum_squares / count - mean^2, 0)     (biased, as BN normalises)
// BN with fixed statistics as one multiply-add per value (y = x * scale + shift):
//   scale = weight / sqrt(var + eps),  shift = bias - mean * scale      (weight 1, bias 0 if
//   absent)
#pragma once

#include <cstdint>

#include "core/hd.h"
#include "kernels/batch_norm.cuh"

namespace cromss {

template <class A>
CROMSS_HD void batch_stats_from_sums(A sum, A sum_squares, int64_t count, A* mean, A* var) {
  const A m = sum / A(count);
  const A v = sum_squares / A(count) - m * m;
  *mean = m;
  *var = v > A(0) ? v : A(0);
}

template <class A>
CROMSS_HD void batch_norm_scale_shift(A mean, A var, A weight, A bias, A eps, A* scale, A* shift) {
  const A s = weight * norm_invstd(var, eps);
  *scale = s;
  *shift = bias - mean * s;
}

}  // namespace cromss
