// Differentiable 2-D matrix product: out (M,N) = op(a) (M,K) x op(b) (K,N), where op transposes
// when requested. CPU: f32 on oneDNN, f64 on the loop reference. CUDA: cuBLASLt with fp32
// accumulation for f32/bf16/f16 inputs.
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace cromss
