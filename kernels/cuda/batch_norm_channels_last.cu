// Channels-last per-channel reductions of batch norm (kernels/cuda/batch_norm_passes.h): the
// statistics and the backward sums of a row-major [rows, C] matrix (NHWC with rows = N*H*W, or
// NCHW with H = W = 1), split over row tiles and channel runs as kernels/channel_reduce.cuh's
// ChannelsLastPlan says. Threads along C read W consecutive channels of a row with one 128-bit
// load when C is a whole number of vectors and the buffers are aligned (else W = 1); each thread
// keeps W accumulators over its rows, the block merges its row lanes with a fixed tree in shared
// memory and writes partial[ch * tiles + j]; the second pass
// (kernels/cuda/channel_reduce_launch.cuh) combines each channel's tiles in order. No atomics: a
// fixed shape on a fixed device gives the same bits every run.
#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/batch_norm.cuh"
#include "kernels/cuda/batch_norm_passes.h"
#include "kernels/cuda/channel_reduce_launch.cuh"
#include "kernels/cuda/types.cuh"
#include "kernels/cuda/vector_access.cuh"
#include "kernels/elementwise.cuh"

namespace cromss::cuda_kernels::batch_norm_passes {
namespace {

constexpr int kRowGroup = 4;  // rows a thread loads before using them (loads in flight)

static_assert(kChannelsLastThreads == 256, "the kernels' __launch_bounds__");

// Where thread threadIdx.x of block blockIdx.x works, in the kernel's index type I.
template <class I>
struct TileLanes {
  I c, first_channel, first_row, row_step, end;
  int lane_c, lane_r;  // the thread's position along C and along the rows
  __device__ TileLanes(const ChannelsLastPlan& p) {
    const int64_t block = blockIdx.x, thread = threadIdx.x;
    c = I(p.channels);
    first_channel = I(p.first_channel(block, thread));
    first_row = I(p.first_row(block, thread));
    row_step = I(p.threads_r);
    end = I(p.tile_end(block));
    lane_c = static_cast<int>(thread % p.threads_c);
    lane_r = static_cast<int>(thread / p.threads_c);
  }
  __device__ bool active() const { return first_channel < c; }
  // The vector item of W channels starting at first_channel in row `row`.
  template <int W>
  __device__ I item(I row) const {
    return (row * c + first_channel) / W;
  }
};

// Merges shared[lane_r][...] over the row lanes into shared[0][...] in a fixed tree order:
// `shared` holds threads_r rows of `run` values; merge(a, b) combines two of them.
template <class V, class Merge>
__device__ __forceinline__ void tree_over_rows(V* shared, int lane_r, int threads_r, int run,
                                               int lane_offset, int values, const Merge& merge) {
  for (int s = threads_r / 2; s > 0; s >>= 1) {
    __syncthreads();
    if (lane_r < s)
      for (int k = 0; k < values; ++k) {
        V* mine = shared + lane_r * run + lane_offset + k;
        *mine = merge(*mine, mine[s * run]);
      }
  }
  __syncthreads();
}

template <int W, class T, class I>
__global__ void __launch_bounds__(256)
    stats_kernel(const T* x, ChannelsLastPlan plan, acc_t<T>* part_mean, acc_t<T>* part_m2) {
  using A = acc_t<T>;
  __shared__ MeanM2<A> shared[kChannelsLastThreads * W];
  const TileLanes<I> t(plan);
  MeanM2<A> acc[W];
#pragma unroll
  for (int w = 0; w < W; ++w) acc[w] = MeanM2<A>{};
  if (t.active())
    for (I r = t.first_row; r < t.end; r += t.row_step * kRowGroup) {
      Vec<T, W> v[kRowGroup];
      int m = 0;  // rows of this group inside the tile (a prefix of the group)
#pragma unroll
      for (int k = 0; k < kRowGroup; ++k) {
        const I row = r + static_cast<I>(k) * t.row_step;
        if (row < t.end) {
          v[k] = load_vec<W>(x, t.template item<W>(row));
          ++m;
        }
      }
#pragma unroll
      for (int w = 0; w < W; ++w) {
        A sum = 0;
#pragma unroll
        for (int k = 0; k < kRowGroup; ++k)
          if (k < m) sum += load(v[k].v, w);
        MeanM2<A> group{m, sum / A(m), A(0)};
#pragma unroll
        for (int k = 0; k < kRowGroup; ++k)
          if (k < m) {
            const A d = load(v[k].v, w) - group.mean;
            group.m2 += d * d;
          }
        acc[w] = merge_mean_m2(acc[w], group);
      }
    }
  const int run = static_cast<int>(plan.threads_c) * W, lane_offset = t.lane_c * W;
#pragma unroll
  for (int w = 0; w < W; ++w) shared[t.lane_r * run + lane_offset + w] = acc[w];
  tree_over_rows(shared, t.lane_r, static_cast<int>(plan.threads_r), run, lane_offset, W,
                 [](const MeanM2<A>& a, const MeanM2<A>& b) { return merge_mean_m2(a, b); });
  if (t.lane_r == 0 && t.active()) {
    const int64_t j = plan.tile(blockIdx.x);
#pragma unroll
    for (int w = 0; w < W; ++w) {
      const int64_t ch = static_cast<int64_t>(t.first_channel) + w;
      part_mean[ch * plan.row_tiles + j] = shared[lane_offset + w].mean;
      part_m2[ch * plan.row_tiles + j] = shared[lane_offset + w].m2;
    }
  }
}

template <int W, class T, class I>
__global__ void __launch_bounds__(256)
    sums_kernel(const T* g, const T* y, const T* x, const acc_t<T>* mean, const acc_t<T>* var,
                acc_t<T> eps, ChannelsLastPlan plan, acc_t<T>* part_g, acc_t<T>* part_g_xhat) {
  using A = acc_t<T>;
  __shared__ A shared[2 * kChannelsLastThreads * W];  // sums of dy, then of dy * xhat
  const TileLanes<I> t(plan);
  A m[W], invstd[W], sg[W], sgx[W];
#pragma unroll
  for (int w = 0; w < W; ++w) {
    sg[w] = sgx[w] = A(0);
    m[w] = t.active() ? mean[t.first_channel + w] : A(0);
    invstd[w] = t.active() ? norm_invstd(var[t.first_channel + w], eps) : A(0);
  }
  if (t.active())
    for (I r = t.first_row; r < t.end; r += t.row_step * kRowGroup) {
      Vec<T, W> gv[kRowGroup], xv[kRowGroup], yv[kRowGroup];
#pragma unroll
      for (int k = 0; k < kRowGroup; ++k) {
        const I row = r + static_cast<I>(k) * t.row_step;
        if (row < t.end) {
          const I item = t.template item<W>(row);
          gv[k] = load_vec<W>(g, item);
          xv[k] = load_vec<W>(x, item);
          if (y != nullptr) yv[k] = load_vec<W>(y, item);
        }
      }
#pragma unroll
      for (int k = 0; k < kRowGroup; ++k)
        if (r + static_cast<I>(k) * t.row_step < t.end)
#pragma unroll
          for (int w = 0; w < W; ++w) {
            A dy = load(gv[k].v, w);
            if (y != nullptr) dy = cromss::relu_backward(dy, load(yv[k].v, w));
            sg[w] += dy;
            sgx[w] += dy * ((load(xv[k].v, w) - m[w]) * invstd[w]);
          }
    }
  const int run = 2 * static_cast<int>(plan.threads_c) * W, lane_offset = t.lane_c * 2 * W;
#pragma unroll
  for (int w = 0; w < W; ++w) {
    shared[t.lane_r * run + lane_offset + w] = sg[w];
    shared[t.lane_r * run + lane_offset + W + w] = sgx[w];
  }
  tree_over_rows(shared, t.lane_r, static_cast<int>(plan.threads_r), run, lane_offset, 2 * W,
                 [](A a, A b) { return a + b; });
  if (t.lane_r == 0 && t.active()) {
    const int64_t j = plan.tile(blockIdx.x);
#pragma unroll
    for (int w = 0; w < W; ++w) {
      const int64_t ch = static_cast<int64_t>(t.first_channel) + w;
      part_g[ch * plan.row_tiles + j] = shared[lane_offset + w];
      part_g_xhat[ch * plan.row_tiles + j] = shared[lane_offset + W + w];
    }
  }
}

// Calls launch(width, index, plan) with the vector width (an std::integral_constant: 128-bit
// when C is a whole number of vectors and every buffer is aligned, else 1), the index type
// (int32_t when rows * c and the loops' overshoot fit) and the plan for this device.
template <class T, class Launch>
void with_plan(int64_t rows, int64_t c, std::initializer_list<const void*> buffers,
               const Context& ctx, const Launch& launch) {
  const VectorSplit split = vector_split(c, sizeof(T), buffers, c);
  with_vector_width<T>(split, [&](auto width) {
    const ChannelsLastPlan plan =
        plan_channels_last(rows, c, decltype(width)::value, multiprocessor_count(ctx));
    if (index_fits_int32(rows * c, kChannelsLastThreads * kRowGroup * c))
      launch(width, int32_t{}, plan);
    else
      launch(width, int64_t{}, plan);
  });
}

}  // namespace

void stats_channels_last(const void* x, DType dtype, int64_t rows, int64_t c, void* mean, void* var,
                         const Context& ctx) {
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm_stats", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    with_plan<T>(rows, c, {x}, ctx, [&](auto width, auto index, const ChannelsLastPlan& plan) {
      Scratch partials(ctx, 2 * c * plan.row_tiles * sizeof(A));
      A* part_mean = partials.as<A>();
      A* part_m2 = part_mean + c * plan.row_tiles;
      stats_kernel<decltype(width)::value, T, decltype(index)>
          <<<static_cast<unsigned>(plan.blocks()), kChannelsLastThreads, 0, stream_of(ctx)>>>(
              static_cast<const T*>(x), plan, part_mean, part_m2);
      CUDA_CHECK_LAUNCH();
      mean_var_partials_kernel<<<blocks_for(c), kThreads, 0, stream_of(ctx)>>>(
          part_mean, part_m2, c, rows, plan.row_tiles, static_cast<A*>(mean), static_cast<A*>(var));
      CUDA_CHECK_LAUNCH();
    });
  });
}

void channel_sums_channels_last(const void* grad_out, const void* relu_out, const void* x,
                                const void* mean, const void* var, double eps, DType dtype,
                                int64_t rows, int64_t c, void* sum_g, void* sum_g_xhat,
                                const Context& ctx) {
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm_channel_sums", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    with_plan<T>(
        rows, c, {grad_out, relu_out, x}, ctx,
        [&](auto width, auto index, const ChannelsLastPlan& plan) {
          Scratch partials(ctx, 2 * c * plan.row_tiles * sizeof(A));
          A* part_g = partials.as<A>();
          A* part_g_xhat = part_g + c * plan.row_tiles;
          sums_kernel<decltype(width)::value, T, decltype(index)>
              <<<static_cast<unsigned>(plan.blocks()), kChannelsLastThreads, 0, stream_of(ctx)>>>(
                  static_cast<const T*>(grad_out), static_cast<const T*>(relu_out),
                  static_cast<const T*>(x), static_cast<const A*>(mean), static_cast<const A*>(var),
                  A(eps), plan, part_g, part_g_xhat);
          CUDA_CHECK_LAUNCH();
          sum_partials_kernel<<<blocks_for(c), kThreads, 0, stream_of(ctx)>>>(
              part_g, static_cast<A*>(sum_g), part_g_xhat, static_cast<A*>(sum_g_xhat), c,
              plan.row_tiles);
          CUDA_CHECK_LAUNCH();
        });
  });
}

}  // namespace cromss::cuda_kernels::batch_norm_passes
