// CUDA softmax / log-softmax and backward (see kernels/softmax.h); math from kernels/softmax.cuh.
// One thread per line of C values: for dim 1 of NCHW (inner = H*W) neighbouring threads read
// neighbouring pixels, so every pass over the channels is coalesced.
#include <limits>

#include "engine/cuda/context_cuda.h"
#include "kernels/cuda/types.cuh"
#include "kernels/softmax.h"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void softmax_forward_kernel(const T* x, T* y, int64_t outer, int64_t channels,
                                       int64_t inner, bool log) {
  using A = acc_t<T>;
  CROMSS_GRID_STRIDE_LOOP(line, outer * inner) {
    const int64_t base = (line / inner) * channels * inner + line % inner;
    SoftmaxStats<A> st{-std::numeric_limits<A>::infinity(), A(0)};
    for (int64_t c = 0; c < channels; ++c) softmax_accumulate(st, load(x, base + c * inner));
    for (int64_t c = 0; c < channels; ++c)
      store(y, base + c * inner, softmax_output(load(x, base + c * inner), st, log));
  }
}

template <class T>
__global__ void softmax_backward_kernel(const T* g, const T* y, T* gi, int64_t outer,
                                        int64_t channels, int64_t inner, bool log) {
  using A = acc_t<T>;
  CROMSS_GRID_STRIDE_LOOP(line, outer * inner) {
    const int64_t base = (line / inner) * channels * inner + line % inner;
    A dot = 0;
    for (int64_t c = 0; c < channels; ++c)
      dot += softmax_backward_term(load(g, base + c * inner), load(y, base + c * inner), log);
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t k = base + c * inner;
      store(gi, k, softmax_grad_input(load(g, k), load(y, k), dot, log));
    }
  }
}

}  // namespace

void softmax_forward(const void* x, void* y, DType dtype, int64_t outer, int64_t channels,
                     int64_t inner, bool log, int device) {
  const int64_t lines = outer * inner;
  if (lines == 0 || channels == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "softmax", [&] {
    softmax_forward_kernel<<<blocks_for(lines), kThreads, 0, stream_of(device)>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(y), outer, channels, inner, log);
  });
  CUDA_CHECK_LAUNCH();
}

void softmax_backward(const void* grad_out, const void* y, void* grad_in, DType dtype,
                      int64_t outer, int64_t channels, int64_t inner, bool log, int device) {
  const int64_t lines = outer * inner;
  if (lines == 0 || channels == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "softmax_backward", [&] {
    softmax_backward_kernel<<<blocks_for(lines), kThreads, 0, stream_of(device)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(y),
        static_cast<scalar_t*>(grad_in), outer, channels, inner, log);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
