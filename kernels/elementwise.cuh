// Per-element math of the elementwise ops, shared by the CPU reference loops
// (kernels/cpu/elementwise.cpp) and the CUDA kernels (kernels/cuda/elementwise.cu).
#pragma once

#include "core/hd.h"

namespace cromss {

enum class BinaryOp : int { add, sub, mul };

template <class A>
CROMSS_HD A binary_apply(BinaryOp op, A a, A b) {
  switch (op) {
    case BinaryOp::add:
      return a + b;
    case BinaryOp::sub:
      return a - b;
    default:
      return a * b;
  }
}

// relu(x) = max(x, 0) with NaN propagated as PyTorch's (relu(NaN) = NaN, so a NaN weight or
// pixel reaches the loss instead of vanishing); d relu / dx = 0 where the output is <= 0
// (PyTorch's threshold_backward: 0 at x = 0, the gradient passes where the output is NaN).
template <class A>
CROMSS_HD A relu_forward(A x) {
  return x <= A(0) ? A(0) : x;
}
template <class A>
CROMSS_HD A relu_backward(A grad_out, A out) {
  return out <= A(0) ? A(0) : grad_out;
}

}  // namespace cromss
