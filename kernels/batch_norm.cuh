// Per-element math of batch and group normalisation, shared by the CPU reference loops
// (kernels/cpu/batch_norm.cpp, kernels/cpu/group_norm.cpp) and the CUDA kernels
// (kernels/cuda/batch_norm.cu, kernels/cuda/group_norm.cu). A is the accumulation type: float for
// f32/bf16/f16 data, double for f64.
//
// With xhat = (x - mean) * invstd and y = weight * xhat + bias, the input gradient of a
// normalisation whose statistics come from the same m values of x is
//   dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dxhat = dy * weight,
// and with fixed statistics (BN eval) simply dx = dxhat * invstd.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.h"

namespace cromss {

template <class A>
CROMSS_HD A norm_invstd(A var, A eps) {
  return A(1) / std::sqrt(var + eps);
}

template <class A>
CROMSS_HD A norm_affine(A x, A mean, A invstd, A weight, A bias) {
  return (x - mean) * invstd * weight + bias;
}

template <class A>
CROMSS_HD A norm_grad_input(A dxhat, A xhat, A invstd, A mean_dxhat, A mean_dxhat_xhat) {
  return invstd * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat);
}

// PyTorch's running-statistics update: running = (1 - momentum) * running + momentum * batch.
template <class A>
CROMSS_HD A running_update(A running, A batch, A momentum) {
  return (A(1) - momentum) * running + momentum * batch;
}

// Unbiased variance from the biased one over `count` values (count > 1).
template <class A>
CROMSS_HD A unbiased_variance(A biased, int64_t count) {
  return biased * A(count) / A(count - 1);
}

}  // namespace cromss
