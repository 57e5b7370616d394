// CUDA batch-normalisation kernels (see kernels/batch_norm.h); per-element math from
// kernels/batch_norm.cuh. Per-channel reductions run one block per channel with a deterministic
// block sum in the accumulation type A (fp32 for f32/bf16/f16, f64 for f64): a two-pass
// mean / variance, and one pass for the backward sums.
#include "core/cuda/context_cuda.h"
#include "kernels/batch_norm.h"
#include "kernels/cuda/norm_block_reduce.cuh"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

constexpr int kReduceThreads = 512;

// Flat index of the i-th of the n * hw values of channel ch.
__device__ __forceinline__ int64_t channel_index(int64_t i, int64_t ch, int64_t c, int64_t hw) {
  return (i / hw * c + ch) * hw + i % hw;
}

template <class T>
__global__ void stats_kernel(const T* x, int64_t n, int64_t c, int64_t hw, acc_t<T>* mean,
                             acc_t<T>* var) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const int64_t ch = blockIdx.x, count = n * hw;
  A sum = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x)
    sum += load(x, channel_index(i, ch, c, hw));
  const A m = block_sum(sum, shared) / A(count);
  A sq = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const A d = load(x, channel_index(i, ch, c, hw)) - m;
    sq += d * d;
  }
  const A v = block_sum(sq, shared) / A(count);
  if (threadIdx.x == 0) {
    mean[ch] = m;
    var[ch] = v;
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

template <class T>
__global__ void forward_kernel(const T* x, const acc_t<T>* mean, const acc_t<T>* var,
                               const acc_t<T>* weight, const acc_t<T>* bias, acc_t<T> eps,
                               int64_t c, int64_t hw, int64_t total, T* y) {
  using A = acc_t<T>;
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t ch = i / hw % c;
    const A w = weight ? weight[ch] : A(1), b = bias ? bias[ch] : A(0);
    store(y, i, norm_affine(load(x, i), mean[ch], norm_invstd(var[ch], eps), w, b));
  }
}

template <class T>
__global__ void channel_sums_kernel(const T* g, const T* x, const acc_t<T>* mean,
                                    const acc_t<T>* var, acc_t<T> eps, int64_t n, int64_t c,
                                    int64_t hw, acc_t<T>* sum_g, acc_t<T>* sum_g_xhat) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const int64_t ch = blockIdx.x, count = n * hw;
  const A m = mean[ch], invstd = norm_invstd(var[ch], eps);
  A sg = 0, sgx = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t k = channel_index(i, ch, c, hw);
    const A gv = load(g, k);
    sg += gv;
    sgx += gv * ((load(x, k) - m) * invstd);
  }
  sg = block_sum(sg, shared);
  sgx = block_sum(sgx, shared);
  if (threadIdx.x == 0) {
    sum_g[ch] = sg;
    sum_g_xhat[ch] = sgx;
  }
}

template <class T>
__global__ void backward_x_kernel(const T* g, const T* x, const acc_t<T>* mean, const acc_t<T>* var,
                                  const acc_t<T>* weight, const acc_t<T>* sum_g,
                                  const acc_t<T>* sum_g_xhat, acc_t<T> eps, bool training,
                                  int64_t c, int64_t hw, int64_t total, T* grad_x) {
  using A = acc_t<T>;
  const A count = A(total / c);
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t ch = i / hw % c;
    const A invstd = norm_invstd(var[ch], eps), w = weight ? weight[ch] : A(1);
    const A mean_dxhat = training ? w * sum_g[ch] / count : A(0);
    const A mean_dxhat_xhat = training ? w * sum_g_xhat[ch] / count : A(0);
    const A xhat = (load(x, i) - mean[ch]) * invstd;
    store(grad_x, i, norm_grad_input(load(g, i) * w, xhat, invstd, mean_dxhat, mean_dxhat_xhat));
  }
}

template <class T>
using P = acc_t<T>;

}  // namespace

void batch_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, void* mean,
                      void* var, const Context& ctx) {
  if (c == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm_stats", [&] {
    stats_kernel<<<static_cast<unsigned>(c), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), n, c, hw, static_cast<P<scalar_t>*>(mean),
        static_cast<P<scalar_t>*>(var));
  });
  CUDA_CHECK_LAUNCH();
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
  const int64_t total = n * c * hw;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm2d", [&] {
    using A = P<scalar_t>;
    forward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), static_cast<const A*>(mean), static_cast<const A*>(var),
        static_cast<const A*>(weight), static_cast<const A*>(bias), A(eps), c, hw, total,
        static_cast<scalar_t*>(y));
  });
  CUDA_CHECK_LAUNCH();
}

void batch_norm_channel_sums(const void* grad_out, const void* x, const void* mean, const void* var,
                             double eps, DType dtype, int64_t n, int64_t c, int64_t hw, void* sum_g,
                             void* sum_g_xhat, const Context& ctx) {
  if (c == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm_channel_sums", [&] {
    using A = P<scalar_t>;
    channel_sums_kernel<<<static_cast<unsigned>(c), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(x),
        static_cast<const A*>(mean), static_cast<const A*>(var), A(eps), n, c, hw,
        static_cast<A*>(sum_g), static_cast<A*>(sum_g_xhat));
  });
  CUDA_CHECK_LAUNCH();
}

void batch_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, const void* sum_g, const void* sum_g_xhat,
                           double eps, bool training, DType dtype, int64_t n, int64_t c, int64_t hw,
                           void* grad_x, const Context& ctx) {
  const int64_t total = n * c * hw;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "batch_norm2d backward", [&] {
    using A = P<scalar_t>;
    backward_x_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(x),
        static_cast<const A*>(mean), static_cast<const A*>(var), static_cast<const A*>(weight),
        static_cast<const A*>(sum_g), static_cast<const A*>(sum_g_xhat), A(eps), training, c, hw,
        total, static_cast<scalar_t*>(grad_x));
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
