// Bias of the CUDA convolution (see kernels/conv2d.h): y[n, k, :, :] += bias[k] after cuDNN's
// forward, and grad_bias[k] = sum over n, oh, ow of grad_y[n, k, oh, ow]: each channel split into
// chunks over many blocks (kernels/channel_reduce.cuh), one partial sum per block, the partials
// of a channel added in chunk order by a second kernel (deterministic); fp32 accumulation for
// bf16/f16.
#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/channel_reduce_launch.cuh"
#include "kernels/cuda/norm_block_reduce.cuh"
#include "kernels/cuda/types.cuh"
#include "kernels/vector_split.cuh"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void add_bias_kernel(T* y, const T* bias, int64_t channels, int64_t plane, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(y, i, load(y, i) + load(bias, (i / plane) % channels));
  }
}

template <class T, class I>
__global__ void bias_grad_partial_kernel(const T* grad_y, I channels, I plane, I count, I chunks,
                                         acc_t<T>* partial) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const I block = blockIdx.x, k = block / chunks, j = block - k * chunks;
  const I begin = static_cast<I>(chunk_begin(count, chunks, j));
  const I end = static_cast<I>(chunk_begin(count, chunks, j + 1));
  A acc = 0;
  for (I i = begin + static_cast<I>(threadIdx.x); i < end; i += static_cast<I>(blockDim.x))
    acc += load(grad_y, channel_offset(i, k, channels, plane));
  acc = block_sum(acc, shared);
  if (threadIdx.x == 0) partial[block] = acc;
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
  const int64_t plane = g.oh * g.ow;
  const ChannelReducePlan plan = plan_channel_reduce(g.n, g.k, plane, ctx);
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "conv2d_backward_bias", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    Scratch partials(ctx, plan.blocks * sizeof(A));
    const auto first_pass = [&](auto index) {
      using I = decltype(index);
      bias_grad_partial_kernel<<<plan.blocks, kChannelReduceThreads, 0, stream_of(ctx)>>>(
          static_cast<const T*>(grad_y), I(g.k), I(plane), I(plan.count), I(plan.chunks),
          partials.as<A>());
    };
    if (index_fits_int32(g.n * g.k * plane, kChannelReduceThreads))
      first_pass(int32_t{});
    else
      first_pass(int64_t{});
    CUDA_CHECK_LAUNCH();
    sum_partials_kernel<<<blocks_for(g.k), kThreads, 0, stream_of(ctx)>>>(
        partials.as<A>(), static_cast<T*>(grad_bias), static_cast<const A*>(nullptr),
        static_cast<T*>(nullptr), g.k, plan.chunks);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace cromss::cuda_kernels
