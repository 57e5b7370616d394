// The element pass of batch norm's forward on the CPU, y = epilogue(affine(x), i), shared by
// plain batch norm (epilogue: identity; kernels/cpu/batch_norm.cpp) and the fused BN (+ residual)
// + ReLU (kernels/cpu/batch_norm_relu.cpp). Per-channel constants are computed once; NCHW runs
// channel planes in parallel, NHWC (inner == 1) rows of C values.
#pragma once

#include <cstdint>
#include <vector>

#include "core/memory_format.h"
#include "kernels/batch_norm.cuh"

namespace cromss::cpu_kernels {

template <class T, class Epilogue>
void batch_norm_apply(const T* x, const T* mean, const T* var, const T* weight, const T* bias,
                      double eps, ChannelView v, T* y, Epilogue epilogue) {
  const size_t c = static_cast<size_t>(v.channels);
  std::vector<T> invstd(c), w(c), b(c);
  for (size_t ch = 0; ch < c; ++ch) {
    invstd[ch] = norm_invstd(var[ch], T(eps));
    w[ch] = weight ? weight[ch] : T(1);
    b[ch] = bias ? bias[ch] : T(0);
  }
  if (v.inner == 1) {
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < v.outer; ++o)
      for (size_t ch = 0; ch < c; ++ch) {
        const int64_t i = o * v.channels + int64_t(ch);
        y[i] = epilogue(norm_affine(x[i], mean[ch], invstd[ch], w[ch], b[ch]), i);
      }
    return;
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t ch = 0; ch < v.channels; ++ch) {
      const size_t k = size_t(ch);
      const int64_t base = v.offset(o, ch, 0);
      for (int64_t i = base; i < base + v.inner; ++i)
        y[i] = epilogue(norm_affine(x[i], mean[ch], invstd[k], w[k], b[k]), i);
    }
}

}  // namespace cromss::cpu_kernels
