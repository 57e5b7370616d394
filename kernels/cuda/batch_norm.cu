// CUDA batch-normalisation kernels (see kernels/batch_norm.h) and the passes shared with the
// fused batch norm + ReLU (kernels/cuda/batch_norm_passes.h); per-element math from
// kernels/batch_norm.cuh, accumulation in A (fp32 for f32/bf16/f16, f64 for f64).
//
// Data come as a ChannelView (kernels/batch_norm.h). Per-channel reductions (statistics, backward
// sums) split each channel into chunks over many blocks (kernels/channel_reduce.cuh): every block
// writes one partial, a second kernel combines each channel's partials in chunk order, so a fixed
// shape on a fixed device gives the same bits every run. With inner == 1 (NHWC, or H = W = 1) the
// reductions are the channels-last ones of kernels/cuda/batch_norm_channels_last.cu; here the
// NCHW ones. Statistics: each thread merges groups of kGroup values into a (count, mean, M2)
// triple, one read of x. The apply and input-gradient passes run over 128-bit items when every
// buffer is 16-byte aligned and no vector straddles two channels (NCHW: H*W a whole number of
// vectors; NHWC: C a whole number of vectors, the item's channels consecutive)
// (kernels/cuda/vector_access.cuh). Their per-channel constants (1 / sqrt(var + eps), the
// backward's means) come from a small kernel over the channels first, so each value costs loads
// and a few multiply-adds, in NHWC too where every value of an item has its own channel.
#include <algorithm>

#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/batch_norm.h"
#include "kernels/cuda/batch_norm_passes.h"
#include "kernels/cuda/channel_reduce_launch.cuh"
#include "kernels/cuda/norm_block_reduce.cuh"
#include "kernels/cuda/types.cuh"
#include "kernels/cuda/vector_access.cuh"
#include "kernels/elementwise.cuh"

namespace cromss::cuda_kernels {
namespace {

constexpr int kGroup = 4;  // values a thread loads before merging them into its triple

// Whether the first-pass loops over all n * c * hw values count in int32 (a block's loop steps
// up to kChannelReduceThreads * kGroup past its chunk).
bool reduce_fits_int32(int64_t total) {
  return index_fits_int32(total, int64_t(kChannelReduceThreads) * kGroup);
}

template <class T, class I>
__global__ void stats_partial_kernel(const T* x, I c, I hw, I count, I chunks, acc_t<T>* part_mean,
                                     acc_t<T>* part_m2) {
  using A = acc_t<T>;
  __shared__ MeanM2<A> shared[32];
  const I block = blockIdx.x, ch = block / chunks, j = block - ch * chunks;
  const I begin = static_cast<I>(chunk_begin(count, chunks, j));
  const I end = static_cast<I>(chunk_begin(count, chunks, j + 1));
  MeanM2<A> acc{};
  for (I tile = begin; tile < end; tile += static_cast<I>(blockDim.x) * kGroup) {
    A v[kGroup];
    A sum = 0;
    int m = 0;
#pragma unroll
    for (int k = 0; k < kGroup; ++k) {
      const I i =
          tile + static_cast<I>(threadIdx.x) + static_cast<I>(k) * static_cast<I>(blockDim.x);
      v[k] = i < end ? load(x, channel_offset(i, ch, c, hw)) : A(0);
      sum += v[k];
      m += i < end;
    }
    if (m == 0) continue;
    MeanM2<A> group{m, sum / A(m), A(0)};
#pragma unroll
    for (int k = 0; k < kGroup; ++k) {
      const A d = v[k] - group.mean;
      if (k < m) group.m2 += d * d;
    }
    acc = merge_mean_m2(acc, group);
  }
  acc = block_merge(acc, shared);
  if (threadIdx.x == 0) {
    part_mean[block] = acc.mean;
    part_m2[block] = acc.m2;
  }
}

template <class A>
__global__ void update_running_kernel(const A* mean, const A* var, int64_t c, int64_t count,
                                      A momentum, A* running_mean, A* running_var) {
  CROMSS_GRID_STRIDE_LOOP(ch, c) {
    running_mean[ch] = running_update(running_mean[ch], mean[ch], momentum);
    running_var[ch] = running_update(running_var[ch], unbiased_variance(var[ch], count), momentum);
  }
}

// The gradient reaching batch norm's output: through the ReLU when its output y is given.
template <class T, class I>
__device__ __forceinline__ acc_t<T> masked_grad(const T* g, const T* y, I k) {
  return y != nullptr ? cromss::relu_backward(load(g, k), load(y, k)) : load(g, k);
}

template <class T, class I>
__global__ void sums_partial_kernel(const T* g, const T* y, const T* x, const acc_t<T>* mean,
                                    const acc_t<T>* var, acc_t<T> eps, I c, I hw, I count, I chunks,
                                    acc_t<T>* part_g, acc_t<T>* part_g_xhat) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const I block = blockIdx.x, ch = block / chunks, j = block - ch * chunks;
  const I begin = static_cast<I>(chunk_begin(count, chunks, j));
  const I end = static_cast<I>(chunk_begin(count, chunks, j + 1));
  const A m = mean[ch], invstd = norm_invstd(var[ch], eps);
  A sg = 0, sgx = 0;
  for (I i = begin + static_cast<I>(threadIdx.x); i < end; i += static_cast<I>(blockDim.x)) {
    const I k = channel_offset(i, ch, c, hw);
    const A gv = masked_grad(g, y, k);
    sg += gv;
    sgx += gv * ((load(x, k) - m) * invstd);
  }
  sg = block_sum(sg, shared);
  sgx = block_sum(sgx, shared);
  if (threadIdx.x == 0) {
    part_g[block] = sg;
    part_g_xhat[block] = sgx;
  }
}

// The per-element passes over the view's outer * c * inner values: `items` items of the launch's
// width W, then the values [tail_begin, total) one by one.
template <class I>
struct ElementGrid {
  I c, inner, items, tail_begin, total;
};

// The channel of the first value of item `item` (of W values). Channels-last (inner == 1): the
// item's W values are channels first .. first + W - 1 (C is a whole number of vectors);
// otherwise all W values are in one channel (inner is).
template <int W, bool kChannelsLast, class I>
__device__ __forceinline__ I item_channel(I item, I c, I inner) {
  return kChannelsLast ? item * W % c : item * W / inner % c;
}

// Per-channel constants of the apply pass.
template <class A>
struct ApplyChannel {
  A mean, invstd, weight, bias;
};

// The per-channel constants of the element passes, computed once per channel so that the square
// root and the divisions leave the per-element path: invstd = 1 / sqrt(var + eps) and, when
// mean_dxhat is not null, mean(dxhat) = w * sum_g / count and mean(dxhat * xhat) =
// w * sum_g_xhat / count (0 in eval, where the statistics are constants).
template <class A>
__global__ void channel_constants_kernel(const A* var, A eps, int64_t c, const A* weight,
                                         const A* sum_g, const A* sum_g_xhat, A count,
                                         bool training, A* invstd, A* mean_dxhat,
                                         A* mean_dxhat_xhat) {
  CROMSS_GRID_STRIDE_LOOP(ch, c) {
    invstd[ch] = norm_invstd(var[ch], eps);
    if (mean_dxhat != nullptr) {
      const A w = weight ? weight[ch] : A(1);
      mean_dxhat[ch] = training ? w * sum_g[ch] / count : A(0);
      mean_dxhat_xhat[ch] = training ? w * sum_g_xhat[ch] / count : A(0);
    }
  }
}

template <class T>
struct ApplyArgs {
  const T* x;
  const T* residual;  // optional
  const acc_t<T>* mean;
  const acc_t<T>* invstd;
  const acc_t<T>* weight;  // optional
  const acc_t<T>* bias;    // optional
  bool relu;
  T* y;
};

template <class T>
__device__ __forceinline__ ApplyChannel<acc_t<T>> apply_channel(const ApplyArgs<T>& a, int64_t ch) {
  using A = acc_t<T>;
  return {a.mean[ch], a.invstd[ch], a.weight ? a.weight[ch] : A(1), a.bias ? a.bias[ch] : A(0)};
}

template <int W, bool kChannelsLast, class T, class I>
__device__ __forceinline__ void apply_item(const ApplyArgs<T>& a, I c, I inner, I item) {
  using A = acc_t<T>;
  const I first = item_channel<W, kChannelsLast>(item, c, inner);
  ApplyChannel<A> p = apply_channel(a, first);
  const Vec<T, W> xv = load_vec<W>(a.x, item);
  const Vec<T, W> rv = a.residual ? load_vec<W>(a.residual, item) : Vec<T, W>{};
  Vec<T, W> yv;
#pragma unroll
  for (int k = 0; k < W; ++k) {
    if (kChannelsLast && k > 0) p = apply_channel(a, first + k);
    A v = norm_affine(load(xv.v, k), p.mean, p.invstd, p.weight, p.bias);
    if (a.residual) v += load(rv.v, k);
    store(yv.v, k, a.relu ? cromss::relu_forward(v) : v);
  }
  store_vec<W>(a.y, item, yv);
}

template <int W, bool kChannelsLast, class T, class I>
__global__ void apply_kernel(ApplyArgs<T> a, ElementGrid<I> g) {
  CROMSS_GRID_STRIDE_LOOP_AS(I, item, g.items)
  apply_item<W, kChannelsLast>(a, g.c, g.inner, item);
  CROMSS_GRID_STRIDE_LOOP_AS(I, i, g.total - g.tail_begin)
  apply_item<1, kChannelsLast>(a, g.c, g.inner, g.tail_begin + i);
}

template <class T>
struct BackwardArgs {
  const T* g;
  const T* relu_out;  // optional
  const T* x;
  const acc_t<T>* mean;
  const acc_t<T>* invstd;
  const acc_t<T>* weight;  // optional
  const acc_t<T>* mean_dxhat;
  const acc_t<T>* mean_dxhat_xhat;
  T* grad_x;
  T* grad_residual;  // optional
};

// Per-channel constants of the input-gradient pass.
template <class A>
struct BackwardChannel {
  A mean, invstd, weight, mean_dxhat, mean_dxhat_xhat;
};

template <class T>
__device__ __forceinline__ BackwardChannel<acc_t<T>> backward_channel(const BackwardArgs<T>& a,
                                                                      int64_t ch) {
  using A = acc_t<T>;
  return {a.mean[ch], a.invstd[ch], a.weight ? a.weight[ch] : A(1), a.mean_dxhat[ch],
          a.mean_dxhat_xhat[ch]};
}

template <int W, bool kChannelsLast, class T, class I>
__device__ __forceinline__ void backward_item(const BackwardArgs<T>& a, I c, I inner, I item) {
  using A = acc_t<T>;
  const I first = item_channel<W, kChannelsLast>(item, c, inner);
  BackwardChannel<A> p = backward_channel(a, first);
  const Vec<T, W> gv = load_vec<W>(a.g, item), xv = load_vec<W>(a.x, item);
  const Vec<T, W> yv = a.relu_out ? load_vec<W>(a.relu_out, item) : Vec<T, W>{};
  Vec<T, W> gxv, grv;
#pragma unroll
  for (int k = 0; k < W; ++k) {
    if (kChannelsLast && k > 0) p = backward_channel(a, first + k);
    A dy = load(gv.v, k);
    if (a.relu_out) dy = cromss::relu_backward(dy, load(yv.v, k));
    const A xhat = (load(xv.v, k) - p.mean) * p.invstd;
    store(gxv.v, k,
          norm_grad_input(dy * p.weight, xhat, p.invstd, p.mean_dxhat, p.mean_dxhat_xhat));
    store(grv.v, k, dy);
  }
  store_vec<W>(a.grad_x, item, gxv);
  if (a.grad_residual) store_vec<W>(a.grad_residual, item, grv);
}

template <int W, bool kChannelsLast, class T, class I>
__global__ void backward_kernel(BackwardArgs<T> a, ElementGrid<I> g) {
  CROMSS_GRID_STRIDE_LOOP_AS(I, item, g.items)
  backward_item<W, kChannelsLast>(a, g.c, g.inner, item);
  CROMSS_GRID_STRIDE_LOOP_AS(I, i, g.total - g.tail_begin)
  backward_item<1, kChannelsLast>(a, g.c, g.inner, g.tail_begin + i);
}

// Calls launch(width, channels_last, ElementGrid<I>, blocks) for the view's values, vectorised
// when `buffers` allow; width and channels_last are std::integral_constants.
template <class T, class Launch>
void launch_per_element(ChannelView v, std::initializer_list<const void*> buffers,
                        const Launch& launch) {
  const int64_t total = v.outer * v.channels * v.inner;
  const bool channels_last = v.inner == 1;
  const VectorSplit split =
      vector_split(total, sizeof(T), buffers, channels_last ? v.channels : v.inner);
  const unsigned blocks = blocks_for(std::max(split.items, total - split.tail_begin));
  with_vector_width<T>(split, [&](auto width) {
    with_index_type(total, blocks, [&](auto index) {
      using I = decltype(index);
      const ElementGrid<I> grid{I(v.channels), I(v.inner), I(split.items), I(split.tail_begin),
                                I(total)};
      if (channels_last)
        launch(width, std::true_type{}, grid, blocks);
      else
        launch(width, std::false_type{}, grid, blocks);
    });
  });
  CUDA_CHECK_LAUNCH();
}

template <class T>
using P = acc_t<T>;

}  // namespace

namespace batch_norm_passes {

void apply(const void* x, const void* residual, const void* mean, const void* var,
           const void* weight, const void* bias, double eps, bool relu, DType dtype, ChannelView v,
           void* y, const Context& ctx) {
  if (v.outer * v.channels * v.inner == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm apply", [&] {
    using T = scalar_t;
    using A = P<T>;
    Scratch constants(ctx, v.channels * sizeof(A));
    A* invstd = constants.as<A>();
    channel_constants_kernel<A><<<blocks_for(v.channels), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const A*>(var), A(eps), v.channels, nullptr, nullptr, nullptr, A(0), false,
        invstd, nullptr, nullptr);
    CUDA_CHECK_LAUNCH();
    const ApplyArgs<T> args{static_cast<const T*>(x),
                            static_cast<const T*>(residual),
                            static_cast<const A*>(mean),
                            invstd,
                            static_cast<const A*>(weight),
                            static_cast<const A*>(bias),
                            relu,
                            static_cast<T*>(y)};
    launch_per_element<T>(v, {x, residual, y},
                          [&](auto width, auto channels_last, auto grid, unsigned blocks) {
                            apply_kernel<decltype(width)::value, decltype(channels_last)::value>
                                <<<blocks, kThreads, 0, stream_of(ctx)>>>(args, grid);
                          });
  });
}

void channel_sums(const void* grad_out, const void* relu_out, const void* x, const void* mean,
                  const void* var, double eps, DType dtype, ChannelView v, void* sum_g,
                  void* sum_g_xhat, const Context& ctx) {
  if (v.channels == 0) return;
  if (v.inner == 1)
    return channel_sums_channels_last(grad_out, relu_out, x, mean, var, eps, dtype, v.outer,
                                      v.channels, sum_g, sum_g_xhat, ctx);
  const int64_t c = v.channels, hw = v.inner;
  const ChannelReducePlan plan = plan_channel_reduce(v.outer, c, hw, ctx);
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm_channel_sums", [&] {
    using T = scalar_t;
    using A = P<T>;
    Scratch partials(ctx, 2 * plan.blocks * sizeof(A));
    A* part_g = partials.as<A>();
    A* part_g_xhat = part_g + plan.blocks;
    const auto first_pass = [&](auto index) {
      using I = decltype(index);
      sums_partial_kernel<<<plan.blocks, kChannelReduceThreads, 0, stream_of(ctx)>>>(
          static_cast<const T*>(grad_out), static_cast<const T*>(relu_out),
          static_cast<const T*>(x), static_cast<const A*>(mean), static_cast<const A*>(var), A(eps),
          I(c), I(hw), I(plan.count), I(plan.chunks), part_g, part_g_xhat);
    };
    if (reduce_fits_int32(v.outer * c * hw))
      first_pass(int32_t{});
    else
      first_pass(int64_t{});
    CUDA_CHECK_LAUNCH();
    sum_partials_kernel<<<blocks_for(c), kThreads, 0, stream_of(ctx)>>>(
        part_g, static_cast<A*>(sum_g), part_g_xhat, static_cast<A*>(sum_g_xhat), c, plan.chunks);
    CUDA_CHECK_LAUNCH();
  });
}

void backward_x(const void* grad_out, const void* relu_out, const void* x, const void* mean,
                const void* var, const void* weight, const void* sum_g, const void* sum_g_xhat,
                double eps, bool training, DType dtype, ChannelView v, void* grad_x,
                void* grad_residual, const Context& ctx) {
  if (v.outer * v.channels * v.inner == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm backward", [&] {
    using T = scalar_t;
    using A = P<T>;
    Scratch constants(ctx, 3 * v.channels * sizeof(A));
    A* invstd = constants.as<A>();
    A* mean_dxhat = invstd + v.channels;
    A* mean_dxhat_xhat = mean_dxhat + v.channels;
    // dxhat = dy * w, so mean(dxhat) = w * sum_g / count and likewise for dxhat * xhat.
    channel_constants_kernel<A><<<blocks_for(v.channels), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const A*>(var), A(eps), v.channels, static_cast<const A*>(weight),
        static_cast<const A*>(sum_g), static_cast<const A*>(sum_g_xhat), A(v.per_channel()),
        training, invstd, mean_dxhat, mean_dxhat_xhat);
    CUDA_CHECK_LAUNCH();
    const BackwardArgs<T> args{static_cast<const T*>(grad_out),
                               static_cast<const T*>(relu_out),
                               static_cast<const T*>(x),
                               static_cast<const A*>(mean),
                               invstd,
                               static_cast<const A*>(weight),
                               mean_dxhat,
                               mean_dxhat_xhat,
                               static_cast<T*>(grad_x),
                               static_cast<T*>(grad_residual)};
    launch_per_element<T>(v, {grad_out, relu_out, x, grad_x, grad_residual},
                          [&](auto width, auto channels_last, auto grid, unsigned blocks) {
                            backward_kernel<decltype(width)::value, decltype(channels_last)::value>
                                <<<blocks, kThreads, 0, stream_of(ctx)>>>(args, grid);
                          });
  });
}

}  // namespace batch_norm_passes

void batch_norm_stats(const void* x, DType dtype, ChannelView v, void* mean, void* var,
                      const Context& ctx) {
  if (v.channels == 0) return;
  if (v.inner == 1)
    return batch_norm_passes::stats_channels_last(x, dtype, v.outer, v.channels, mean, var, ctx);
  const int64_t c = v.channels, hw = v.inner;
  const ChannelReducePlan plan = plan_channel_reduce(v.outer, c, hw, ctx);
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm_stats", [&] {
    using T = scalar_t;
    using A = P<T>;
    Scratch partials(ctx, 2 * plan.blocks * sizeof(A));
    A* part_mean = partials.as<A>();
    A* part_m2 = part_mean + plan.blocks;
    const auto first_pass = [&](auto index) {
      using I = decltype(index);
      stats_partial_kernel<<<plan.blocks, kChannelReduceThreads, 0, stream_of(ctx)>>>(
          static_cast<const T*>(x), I(c), I(hw), I(plan.count), I(plan.chunks), part_mean, part_m2);
    };
    if (reduce_fits_int32(v.outer * c * hw))
      first_pass(int32_t{});
    else
      first_pass(int64_t{});
    CUDA_CHECK_LAUNCH();
    mean_var_partials_kernel<<<blocks_for(c), kThreads, 0, stream_of(ctx)>>>(
        part_mean, part_m2, c, plan.count, plan.chunks, static_cast<A*>(mean),
        static_cast<A*>(var));
    CUDA_CHECK_LAUNCH();
  });
}

void batch_norm_update_running(const void* mean, const void* var, DType dtype, int64_t c,
                               int64_t count, double momentum, void* running_mean,
                               void* running_var, const Context& ctx) {
  if (c == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm_update_running", [&] {
    using A = P<scalar_t>;
    update_running_kernel<<<blocks_for(c), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const A*>(mean), static_cast<const A*>(var), c, count, A(momentum),
        static_cast<A*>(running_mean), static_cast<A*>(running_var));
  });
  CUDA_CHECK_LAUNCH();
}

void batch_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, ChannelView v, void* y,
                        const Context& ctx) {
  batch_norm_passes::apply(x, nullptr, mean, var, weight, bias, eps, false, dtype, v, y, ctx);
}

void batch_norm_channel_sums(const void* grad_out, const void* x, const void* mean, const void* var,
                             double eps, DType dtype, ChannelView v, void* sum_g, void* sum_g_xhat,
                             const Context& ctx) {
  batch_norm_passes::channel_sums(grad_out, nullptr, x, mean, var, eps, dtype, v, sum_g, sum_g_xhat,
                                  ctx);
}

void batch_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, const void* sum_g, const void* sum_g_xhat,
                           double eps, bool training, DType dtype, ChannelView v, void* grad_x,
                           const Context& ctx) {
  batch_norm_passes::backward_x(grad_out, nullptr, x, mean, var, weight, sum_g, sum_g_xhat, eps,
                                training, dtype, v, grad_x, nullptr, ctx);
}

}  // namespace cromss::cuda_kernels
