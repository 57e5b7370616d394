// CUDA batch-normalisation kernels (see kernels/batch_norm.h) and the passes shared with the
// fused batch norm + ReLU (kernels/cuda/batch_norm_passes.h); per-element math from
// kernels/batch_norm.cuh, accumulation in A (fp32 for f32/bf16/f16, f64 for f64).
//
// Per-channel reductions (statistics, backward sums) split each channel into chunks over many
// blocks (kernels/channel_reduce.cuh): every block writes one partial, a second kernel combines
// each channel's partials in chunk order, so a fixed shape on a fixed device gives the same bits
// every run. Statistics: each thread merges groups of kGroup values into a (count, mean, M2)
// triple, one read of x. The apply and input-gradient passes run over 128-bit items when every
// buffer is 16-byte aligned and hw is a whole number of vectors (kernels/cuda/vector_access.cuh).
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
__global__ void stats_finalize_kernel(const A* part_mean, const A* part_m2, int64_t c,
                                      int64_t count, int64_t chunks, A* mean, A* var) {
  CROMSS_GRID_STRIDE_LOOP(ch, c) {
    const MeanM2<A> r =
        combine_mean_m2(part_mean + ch * chunks, part_m2 + ch * chunks, count, chunks);
    mean[ch] = r.mean;
    var[ch] = r.m2 / A(count);
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

// The per-element passes over n * c * hw values: `items` items of the launch's width W, then the
// values [tail_begin, total) one by one.
template <class I>
struct ElementGrid {
  I c, hw, items, tail_begin, total;
};

template <class T>
struct ApplyArgs {
  const T* x;
  const T* residual;  // optional
  const acc_t<T>* mean;
  const acc_t<T>* var;
  const acc_t<T>* weight;  // optional
  const acc_t<T>* bias;    // optional
  acc_t<T> eps;
  bool relu;
  T* y;
};

template <int W, class T, class I>
__device__ __forceinline__ void apply_item(const ApplyArgs<T>& a, I c, I hw, I item) {
  using A = acc_t<T>;
  const I ch = item * W / hw % c;
  const A m = a.mean[ch], invstd = norm_invstd(a.var[ch], a.eps);
  const A w = a.weight ? a.weight[ch] : A(1), b = a.bias ? a.bias[ch] : A(0);
  const Vec<T, W> xv = load_vec<W>(a.x, item);
  const Vec<T, W> rv = a.residual ? load_vec<W>(a.residual, item) : Vec<T, W>{};
  Vec<T, W> yv;
#pragma unroll
  for (int k = 0; k < W; ++k) {
    A v = norm_affine(load(xv.v, k), m, invstd, w, b);
    if (a.residual) v += load(rv.v, k);
    store(yv.v, k, a.relu ? cromss::relu_forward(v) : v);
  }
  store_vec<W>(a.y, item, yv);
}

template <int W, class T, class I>
__global__ void apply_kernel(ApplyArgs<T> a, ElementGrid<I> g) {
  CROMSS_GRID_STRIDE_LOOP_AS(I, item, g.items) apply_item<W>(a, g.c, g.hw, item);
  CROMSS_GRID_STRIDE_LOOP_AS(I, i, g.total - g.tail_begin)
  apply_item<1>(a, g.c, g.hw, g.tail_begin + i);
}

template <class T>
struct BackwardArgs {
  const T* g;
  const T* relu_out;  // optional
  const T* x;
  const acc_t<T>* mean;
  const acc_t<T>* var;
  const acc_t<T>* weight;  // optional
  const acc_t<T>* sum_g;
  const acc_t<T>* sum_g_xhat;
  acc_t<T> eps;
  acc_t<T> count;  // values per channel
  bool training;
  T* grad_x;
  T* grad_residual;  // optional
};

template <int W, class T, class I>
__device__ __forceinline__ void backward_item(const BackwardArgs<T>& a, I c, I hw, I item) {
  using A = acc_t<T>;
  const I ch = item * W / hw % c;
  const A m = a.mean[ch], invstd = norm_invstd(a.var[ch], a.eps);
  const A w = a.weight ? a.weight[ch] : A(1);
  // dxhat = dy * w, so mean(dxhat) = w * sum_g / count and likewise for dxhat * xhat.
  const A mean_dxhat = a.training ? w * a.sum_g[ch] / a.count : A(0);
  const A mean_dxhat_xhat = a.training ? w * a.sum_g_xhat[ch] / a.count : A(0);
  const Vec<T, W> gv = load_vec<W>(a.g, item), xv = load_vec<W>(a.x, item);
  const Vec<T, W> yv = a.relu_out ? load_vec<W>(a.relu_out, item) : Vec<T, W>{};
  Vec<T, W> gxv, grv;
#pragma unroll
  for (int k = 0; k < W; ++k) {
    A dy = load(gv.v, k);
    if (a.relu_out) dy = cromss::relu_backward(dy, load(yv.v, k));
    const A xhat = (load(xv.v, k) - m) * invstd;
    store(gxv.v, k, norm_grad_input(dy * w, xhat, invstd, mean_dxhat, mean_dxhat_xhat));
    store(grv.v, k, dy);
  }
  store_vec<W>(a.grad_x, item, gxv);
  if (a.grad_residual) store_vec<W>(a.grad_residual, item, grv);
}

template <int W, class T, class I>
__global__ void backward_kernel(BackwardArgs<T> a, ElementGrid<I> g) {
  CROMSS_GRID_STRIDE_LOOP_AS(I, item, g.items) backward_item<W>(a, g.c, g.hw, item);
  CROMSS_GRID_STRIDE_LOOP_AS(I, i, g.total - g.tail_begin)
  backward_item<1>(a, g.c, g.hw, g.tail_begin + i);
}

// Calls launch(width, ElementGrid<I>, blocks) for the n * c * hw values, vectorised when
// `buffers` allow.
template <class T, class Launch>
void launch_per_element(int64_t n, int64_t c, int64_t hw,
                        std::initializer_list<const void*> buffers, const Launch& launch) {
  const int64_t total = n * c * hw;
  const VectorSplit split = vector_split(total, sizeof(T), buffers, hw);
  const unsigned blocks = blocks_for(std::max(split.items, total - split.tail_begin));
  with_vector_width<T>(split, [&](auto width) {
    with_index_type(total, blocks, [&](auto index) {
      using I = decltype(index);
      launch(width, ElementGrid<I>{I(c), I(hw), I(split.items), I(split.tail_begin), I(total)},
             blocks);
    });
  });
  CUDA_CHECK_LAUNCH();
}

template <class T>
using P = acc_t<T>;

}  // namespace

namespace batch_norm_passes {

void apply(const void* x, const void* residual, const void* mean, const void* var,
           const void* weight, const void* bias, double eps, bool relu, DType dtype, int64_t n,
           int64_t c, int64_t hw, void* y, const Context& ctx) {
  if (n * c * hw == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm apply", [&] {
    using T = scalar_t;
    using A = P<T>;
    const ApplyArgs<T> args{static_cast<const T*>(x),
                            static_cast<const T*>(residual),
                            static_cast<const A*>(mean),
                            static_cast<const A*>(var),
                            static_cast<const A*>(weight),
                            static_cast<const A*>(bias),
                            A(eps),
                            relu,
                            static_cast<T*>(y)};
    launch_per_element<T>(n, c, hw, {x, residual, y}, [&](auto width, auto grid, unsigned blocks) {
      apply_kernel<decltype(width)::value><<<blocks, kThreads, 0, stream_of(ctx)>>>(args, grid);
    });
  });
}

void channel_sums(const void* grad_out, const void* relu_out, const void* x, const void* mean,
                  const void* var, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                  void* sum_g, void* sum_g_xhat, const Context& ctx) {
  if (c == 0) return;
  const ChannelReducePlan plan = plan_channel_reduce(n, c, hw, ctx);
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
    if (reduce_fits_int32(n * c * hw))
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
                double eps, bool training, DType dtype, int64_t n, int64_t c, int64_t hw,
                void* grad_x, void* grad_residual, const Context& ctx) {
  if (n * c * hw == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm backward", [&] {
    using T = scalar_t;
    using A = P<T>;
    const BackwardArgs<T> args{static_cast<const T*>(grad_out),
                               static_cast<const T*>(relu_out),
                               static_cast<const T*>(x),
                               static_cast<const A*>(mean),
                               static_cast<const A*>(var),
                               static_cast<const A*>(weight),
                               static_cast<const A*>(sum_g),
                               static_cast<const A*>(sum_g_xhat),
                               A(eps),
                               A(n * hw),
                               training,
                               static_cast<T*>(grad_x),
                               static_cast<T*>(grad_residual)};
    launch_per_element<T>(n, c, hw, {grad_out, relu_out, x, grad_x, grad_residual},
                          [&](auto width, auto grid, unsigned blocks) {
                            backward_kernel<decltype(width)::value>
                                <<<blocks, kThreads, 0, stream_of(ctx)>>>(args, grid);
                          });
  });
}

}  // namespace batch_norm_passes

void batch_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, void* mean,
                      void* var, const Context& ctx) {
  if (c == 0) return;
  const ChannelReducePlan plan = plan_channel_reduce(n, c, hw, ctx);
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
    if (reduce_fits_int32(n * c * hw))
      first_pass(int32_t{});
    else
      first_pass(int64_t{});
    CUDA_CHECK_LAUNCH();
    stats_finalize_kernel<<<blocks_for(c), kThreads, 0, stream_of(ctx)>>>(
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
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        void* y, const Context& ctx) {
  batch_norm_passes::apply(x, nullptr, mean, var, weight, bias, eps, false, dtype, n, c, hw, y,
                           ctx);
}

void batch_norm_channel_sums(const void* grad_out, const void* x, const void* mean, const void* var,
                             double eps, DType dtype, int64_t n, int64_t c, int64_t hw, void* sum_g,
                             void* sum_g_xhat, const Context& ctx) {
  batch_norm_passes::channel_sums(grad_out, nullptr, x, mean, var, eps, dtype, n, c, hw, sum_g,
                                  sum_g_xhat, ctx);
}

void batch_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, const void* sum_g, const void* sum_g_xhat,
                           double eps, bool training, DType dtype, int64_t n, int64_t c, int64_t hw,
                           void* grad_x, const Context& ctx) {
  batch_norm_passes::backward_x(grad_out, nullptr, x, mean, var, weight, sum_g, sum_g_xhat, eps,
                                training, dtype, n, c, hw, grad_x, nullptr, ctx);
}

}  // namespace cromss::cuda_kernels
