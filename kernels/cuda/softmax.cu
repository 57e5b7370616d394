// CUDA softmax / log-softmax and backward (see kernels/softmax.h); math from kernels/softmax.cuh.
// For dim 1 of NCHW (inner = H*W) one thread handles one line of C values: neighbouring threads
// read neighbouring pixels, so every pass over the channels is coalesced. When lines are
// contiguous (inner == 1, e.g. rows of logits) one warp handles one line instead, its lanes
// striding over the channels and merging their statistics with shuffles.
#include <limits>

#include "core/cuda/context_cuda.h"
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

constexpr int kWarp = 32;

template <class A>
__device__ A warp_sum(A v) {
  for (int off = kWarp / 2; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

template <class T>
__global__ void softmax_forward_rows(const T* x, T* y, int64_t rows, int64_t channels, bool log) {
  using A = acc_t<T>;
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
       row < rows; row += warps) {
    const int64_t base = row * channels;
    SoftmaxStats<A> st{-std::numeric_limits<A>::infinity(), A(0)};
    for (int64_t c = lane; c < channels; c += kWarp) softmax_accumulate(st, load(x, base + c));
    for (int off = kWarp / 2; off > 0; off /= 2) {
      SoftmaxStats<A> other{__shfl_xor_sync(0xffffffffu, st.max, off),
                            __shfl_xor_sync(0xffffffffu, st.sum, off)};
      st = softmax_merge(st, other);
    }
    for (int64_t c = lane; c < channels; c += kWarp)
      store(y, base + c, softmax_output(load(x, base + c), st, log));
  }
}

template <class T>
__global__ void softmax_backward_rows(const T* g, const T* y, T* gi, int64_t rows, int64_t channels,
                                      bool log) {
  using A = acc_t<T>;
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
       row < rows; row += warps) {
    const int64_t base = row * channels;
    A dot = 0;
    for (int64_t c = lane; c < channels; c += kWarp)
      dot += softmax_backward_term(load(g, base + c), load(y, base + c), log);
    dot = warp_sum(dot);
    for (int64_t c = lane; c < channels; c += kWarp)
      store(gi, base + c, softmax_grad_input(load(g, base + c), load(y, base + c), dot, log));
  }
}

// Rows of at least this many channels go to the warp-per-line kernels when inner == 1.
constexpr int64_t kRowKernelMinChannels = 64;

bool use_row_kernels(int64_t channels, int64_t inner) {
  return inner == 1 && channels >= kRowKernelMinChannels;
}

}  // namespace

void softmax_forward(const void* x, void* y, DType dtype, int64_t outer, int64_t channels,
                     int64_t inner, bool log, const Context& ctx) {
  const int64_t lines = outer * inner;
  if (lines == 0 || channels == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "softmax", [&] {
    if (use_row_kernels(channels, inner)) {
      softmax_forward_rows<<<blocks_for(outer * kWarp), kThreads, 0, stream_of(ctx)>>>(
          static_cast<const scalar_t*>(x), static_cast<scalar_t*>(y), outer, channels, log);
      return;
    }
    softmax_forward_kernel<<<blocks_for(lines), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(y), outer, channels, inner, log);
  });
  CUDA_CHECK_LAUNCH();
}

void softmax_backward(const void* grad_out, const void* y, void* grad_in, DType dtype,
                      int64_t outer, int64_t channels, int64_t inner, bool log,
                      const Context& ctx) {
  const int64_t lines = outer * inner;
  if (lines == 0 || channels == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "softmax_backward", [&] {
    if (use_row_kernels(channels, inner)) {
      softmax_backward_rows<<<blocks_for(outer * kWarp), kThreads, 0, stream_of(ctx)>>>(
          static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(y),
          static_cast<scalar_t*>(grad_in), outer, channels, log);
      return;
    }
    softmax_backward_kernel<<<blocks_for(lines), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(y),
        static_cast<scalar_t*>(grad_in), outer, channels, inner, log);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
