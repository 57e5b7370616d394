// Bias of the CUDA convolution (see kernels/conv2d.h) in both memory formats, over y seen per
// channel (Conv2dGeometry::y_channels, core/memory_format.h): y[n, k, :, :] += bias[k] after
// cuDNN's forward, 128-bit vectors of y when aligned (in nhwc it is y[e] += bias[e % K]), and
// grad_bias[k] = sum over n, oh, ow of grad_y[n, k, oh, ow]: each channel split into chunks over
// many blocks (kernels/channel_reduce.cuh), one partial sum per block, the partials of a channel
// added in chunk order by a second kernel (deterministic); fp32 accumulation for bf16/f16.
#include <algorithm>

#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/channel_reduce_launch.cuh"
#include "kernels/cuda/norm_block_reduce.cuh"
#include "kernels/cuda/types.cuh"
#include "kernels/cuda/vector_access.cuh"

namespace cromss::cuda_kernels {
namespace {

// Item `item` of W elements of y (outer, channels, inner): the channel is found once per item and
// then stepped along with the elements.
template <int W, class T, class I>
__device__ __forceinline__ void add_bias_item(T* y, const T* bias, I channels, I inner, I item) {
  Vec<T, W> v = load_vec<W>(y, item);
  const I first = item * W, row = first / inner;
  I c = row % channels, i = first - row * inner;
#pragma unroll
  for (int j = 0; j < W; ++j) {
    store(v.v, j, load(v.v, j) + load(bias, c));
    if (++i == inner) {
      i = 0;
      if (++c == channels) c = 0;
    }
  }
  store_vec<W>(y, item, v);
}

// `items` items of W elements, then elements [tail_begin, n) one by one.
template <int W, class T, class I>
__global__ void add_bias_kernel(T* y, const T* bias, I channels, I inner, I items, I tail_begin,
                                I n) {
  CROMSS_GRID_STRIDE_LOOP_AS(I, item, items) add_bias_item<W>(y, bias, channels, inner, item);
  CROMSS_GRID_STRIDE_LOOP_AS(I, i, n - tail_begin)
  add_bias_item<1>(y, bias, channels, inner, tail_begin + i);
}

template <class T, class I>
__global__ void bias_grad_partial_kernel(const T* grad_y, I channels, I inner, I count, I chunks,
                                         acc_t<T>* partial) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const I block = blockIdx.x, k = block / chunks, j = block - k * chunks;
  const I begin = static_cast<I>(chunk_begin(count, chunks, j));
  const I end = static_cast<I>(chunk_begin(count, chunks, j + 1));
  A acc = 0;
  for (I i = begin + static_cast<I>(threadIdx.x); i < end; i += static_cast<I>(blockDim.x))
    acc += load(grad_y, channel_offset(i, k, channels, inner));
  acc = block_sum(acc, shared);
  if (threadIdx.x == 0) partial[block] = acc;
}

}  // namespace

void conv2d_add_bias(const Conv2dGeometry& g, const void* bias, void* y, DType dtype,
                     const Context& ctx) {
  const int64_t n = g.n * g.k * g.oh * g.ow;
  if (n == 0) return;
  const ChannelView v = g.y_channels();
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "conv2d_add_bias", [&] {
    using T = scalar_t;
    const VectorSplit split = vector_split(n, sizeof(T), {y});
    const unsigned blocks = blocks_for(std::max(split.items, n - split.tail_begin));
    with_vector_width<T>(split, [&](auto width) {
      with_index_type(n, blocks, [&](auto index) {
        using I = decltype(index);
        add_bias_kernel<decltype(width)::value><<<blocks, kThreads, 0, stream_of(ctx)>>>(
            static_cast<T*>(y), static_cast<const T*>(bias), I(v.channels), I(v.inner),
            I(split.items), I(split.tail_begin), I(n));
      });
    });
  });
  CUDA_CHECK_LAUNCH();
}

void conv2d_backward_bias(const Conv2dGeometry& g, const void* grad_y, void* grad_bias, DType dtype,
                          const Context& ctx) {
  if (g.k == 0) return;
  const ChannelView v = g.y_channels();
  const ChannelReducePlan plan = plan_channel_reduce(v.outer, v.channels, v.inner, ctx);
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "conv2d_backward_bias", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    Scratch partials(ctx, plan.blocks * sizeof(A));
    const auto first_pass = [&](auto index) {
      using I = decltype(index);
      bias_grad_partial_kernel<<<plan.blocks, kChannelReduceThreads, 0, stream_of(ctx)>>>(
          static_cast<const T*>(grad_y), I(g.k), I(v.inner), I(plan.count), I(plan.chunks),
          partials.as<A>());
    };
    if (index_fits_int32(v.outer * v.channels * v.inner, kChannelReduceThreads))
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
