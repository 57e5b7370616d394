// Bias of the CUDA convolution (see kernels/conv2d.h): y[n, k, :, :] += bias[k] after cuDNN's
// forward, and grad_bias[k] = sum over n, oh, ow of grad_y[n, k, oh, ow]: one block per channel,
// strided per-thread sums and a CUB block reduction, all in a fixed order (deterministic); fp32
// accumulation for bf16/f16.
#include <cub/block/block_reduce.cuh>

#include "core/cuda/context_cuda.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void add_bias_kernel(T* y, const T* bias, int64_t channels, int64_t plane, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(y, i, load(y, i) + load(bias, (i / plane) % channels));
  }
}

template <class T>
__global__ void bias_grad_kernel(const T* grad_y, T* grad_bias, int64_t batch, int64_t channels,
                                 int64_t plane) {
  using BlockReduce = cub::BlockReduce<acc_t<T>, kThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  const int64_t k = blockIdx.x;
  acc_t<T> acc = 0;
  for (int64_t i = threadIdx.x; i < batch * plane; i += blockDim.x)
    acc += load(grad_y, ((i / plane) * channels + k) * plane + i % plane);
  const acc_t<T> total = BlockReduce(temp).Sum(acc);
  if (threadIdx.x == 0) store(grad_bias, k, total);
}

}  // namespace

void conv2d_add_bias(const Conv2dGeometry& g, const void* bias, void* y, DType dtype,
                     const Context& ctx) {
  const int64_t n = g.n * g.k * g.oh * g.ow;
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "conv2d_add_bias", [&] {
    add_bias_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        static_cast<scalar_t*>(y), static_cast<const scalar_t*>(bias), g.k, g.oh * g.ow, n);
  });
  CUDA_CHECK_LAUNCH();
}

void conv2d_backward_bias(const Conv2dGeometry& g, const void* grad_y, void* grad_bias, DType dtype,
                          const Context& ctx) {
  if (g.k == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "conv2d_backward_bias", [&] {
    bias_grad_kernel<<<static_cast<unsigned>(g.k), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_y), static_cast<scalar_t*>(grad_bias), g.n, g.k,
        g.oh * g.ow);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
