// Per-element math of softmax / log-softmax along one axis, shared by the CPU reference
// (kernels/cpu/softmax.cpp) and the CUDA kernels (kernels/cuda/softmax.cu).
//
// A contiguous tensor is viewed as [outer, C, inner]; each (outer, inner) pair is one line of C
// values with stride `inner`. The forward makes one "online" pass for the running maximum m and
// the sum s = sum exp(x - m) (numerically stable: every exponent is <= 0), then a second pass
// writes y = exp(x - m) / s (softmax) or y = x - m - log(s) (log-softmax).
// Backward from the saved output y and the output gradient g, with d = sum_c g_c y_c and
// t = sum_c g_c:  softmax: dx = y (g - d);  log-softmax: dx = g - exp(y) t.
#pragma once

#include <math.h>

#include "core/hd.h"

namespace cromss {

// exp/log in the precision of the argument on host and device.
CROMSS_HD float exp_of(float x) {
  return expf(x);
}
CROMSS_HD double exp_of(double x) {
  return ::exp(x);
}
CROMSS_HD float log_of(float x) {
  return logf(x);
}
CROMSS_HD double log_of(double x) {
  return ::log(x);
}

template <class A>
struct SoftmaxStats {
  A max;
  A sum;
};

// Folds one value into the running (max, sum of exp(x - max)); start from {-inf, 0}.
template <class A>
CROMSS_HD void softmax_accumulate(SoftmaxStats<A>& st, A x) {
  if (x > st.max) {
    st.sum = st.sum * exp_of(st.max - x) + A(1);
    st.max = x;
  } else {
    st.sum += x == st.max ? A(1) : exp_of(x - st.max);  // also when both are -inf
  }
}

// Combines the statistics of two disjoint parts of a line (parallel reductions).
template <class A>
CROMSS_HD SoftmaxStats<A> softmax_merge(const SoftmaxStats<A>& a, const SoftmaxStats<A>& b) {
  const A m = a.max > b.max ? a.max : b.max;
  const A sa = a.sum == A(0) ? A(0) : a.sum * exp_of(a.max - m);
  const A sb = b.sum == A(0) ? A(0) : b.sum * exp_of(b.max - m);
  return {m, sa + sb};
}

template <class A>
CROMSS_HD A softmax_output(A x, const SoftmaxStats<A>& st, bool log) {
  return log ? x - st.max - log_of(st.sum) : exp_of(x - st.max) / st.sum;
}

// `dot` is sum g*y for softmax and sum g for log-softmax.
template <class A>
CROMSS_HD A softmax_backward_term(A g, A y, bool log) {
  return log ? g : g * y;
}
template <class A>
CROMSS_HD A softmax_grad_input(A g, A y, A dot, bool log) {
  return log ? g - exp_of(y) * dot : y * (g - dot);
}

}  // namespace cromss
