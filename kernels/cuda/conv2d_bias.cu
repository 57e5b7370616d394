// Bias of the CUDA convolution (see kernels/conv2d.h) in both memory formats, over y seen per
// channel (Conv2dGeometry::y_channels, core/memory_format.h): y[n, k, :, :] += bias[k] after
// cuDNN's forward, 128-bit vectors of y when aligned (in nhwc it is y[e] += bias[e % K]), and
// grad_bias[k] = sum over n, oh, ow of grad_y[n, k, oh, ow], split over many blocks
// (kernels/channel_reduce.cuh): NCHW each channel in chunks, NHWC (inner == 1) row tiles of the
// [N*OH*OW, K] matrix with threads along K reading consecutive channels (ChannelsLastPlan); one
// partial per block and channel, the partials of a channel added in chunk order by a second
// kernel (deterministic, no atomics); fp32 accumulation for bf16/f16.
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

// grad_y as a row-major [rows, channels] matrix: block b sums the plan's channel run over row
// tile plan.tile(b); the row lanes of each channel are merged by a fixed tree in shared memory
// (threads_r is a power of two) and partial[ch * row_tiles + tile] written.
template <class T, class I>
__global__ void __launch_bounds__(256)
    bias_grad_rows_kernel(const T* grad_y, ChannelsLastPlan plan, acc_t<T>* partial) {
  using A = acc_t<T>;
  __shared__ A shared[kChannelsLastThreads];
  const int64_t block = blockIdx.x;
  const int thread = static_cast<int>(threadIdx.x), threads_c = static_cast<int>(plan.threads_c);
  const int lane_r = thread / threads_c;
  const I channels = I(plan.channels), ch = I(plan.first_channel(block, thread));
  const I step = I(plan.threads_r), end = I(plan.tile_end(block));
  A acc = 0;
  if (ch < channels)
    for (I r = I(plan.first_row(block, thread)); r < end; r += step)
      acc += load(grad_y, r * channels + ch);
  shared[thread] = acc;
  for (int s = static_cast<int>(plan.threads_r) / 2; s > 0; s >>= 1) {
    __syncthreads();
    if (lane_r < s) shared[thread] += shared[thread + s * threads_c];
  }
  if (lane_r == 0 && ch < channels)
    partial[ch * plan.row_tiles + plan.tile(block)] = shared[thread];
}

// The first passes, writing partial[ch * chunks + j]: NCHW-style views (inner > 1) in chunks of
// each channel, channels-last ones (inner == 1) in row tiles.
template <class T>
void bias_grad_chunks(const ChannelView& v, const T* grad_y, const ChannelReducePlan& plan,
                      acc_t<T>* partials, const Context& ctx) {
  const auto launch = [&](auto index) {
    using I = decltype(index);
    bias_grad_partial_kernel<<<plan.blocks, kChannelReduceThreads, 0, stream_of(ctx)>>>(
        grad_y, I(v.channels), I(v.inner), I(plan.count), I(plan.chunks), partials);
  };
  if (index_fits_int32(v.outer * v.channels * v.inner, kChannelReduceThreads))
    launch(int32_t{});
  else
    launch(int64_t{});
}

template <class T>
void bias_grad_rows(const ChannelView& v, const T* grad_y, const ChannelsLastPlan& plan,
                    acc_t<T>* partials, const Context& ctx) {
  const auto launch = [&](auto index) {
    bias_grad_rows_kernel<T, decltype(index)>
        <<<static_cast<unsigned>(plan.blocks()), kChannelsLastThreads, 0, stream_of(ctx)>>>(
            grad_y, plan, partials);
  };
  if (index_fits_int32(v.outer * v.channels, plan.threads_r * v.channels))
    launch(int32_t{});
  else
    launch(int64_t{});
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
  const bool channels_last = v.inner == 1;
  const ChannelsLastPlan rows_plan =
      plan_channels_last(v.outer, v.channels, 1, multiprocessor_count(ctx));
  const ChannelReducePlan chunks_plan = plan_channel_reduce(v.outer, v.channels, v.inner, ctx);
  const int64_t chunks = channels_last ? rows_plan.row_tiles : chunks_plan.chunks;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "conv2d_backward_bias", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    Scratch partials(ctx, v.channels * chunks * sizeof(A));
    const T* dy = static_cast<const T*>(grad_y);
    if (channels_last)
      bias_grad_rows(v, dy, rows_plan, partials.as<A>(), ctx);
    else
      bias_grad_chunks(v, dy, chunks_plan, partials.as<A>(), ctx);
    CUDA_CHECK_LAUNCH();
    sum_partials_kernel<<<blocks_for(g.k), kThreads, 0, stream_of(ctx)>>>(
        partials.as<A>(), static_cast<T*>(grad_bias), static_cast<const A*>(nullptr),
        static_cast<T*>(nullptr), g.k, chunks);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace cromss::cuda_kernels
