// CUDA group-normalisation kernels (see kernels/group_norm.h); per-element math from
// kernels/batch_norm.cuh. Each (sample, group) is one contiguous row of (c / groups) * hw values:
// statistics and the input gradient run one block per row (two-pass mean / variance; the
// backward sums and dx in one kernel), the weight / bias gradients one block per channel. All
// sums are deterministic block sums in the accumulation type A (fp32, f64 for f64 data).
#include "core/cuda/context_cuda.h"
#include "kernels/cuda/norm_block_reduce.cuh"
#include "kernels/cuda/types.cuh"
#include "kernels/group_norm.h"

namespace cromss::cuda_kernels {
namespace {

constexpr int kReduceThreads = 512;

template <class T>
__global__ void stats_kernel(const T* x, int64_t row, acc_t<T>* mean, acc_t<T>* var) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const T* p = x + static_cast<int64_t>(blockIdx.x) * row;
  A sum = 0;
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) sum += load(p, j);
  const A m = block_sum(sum, shared) / A(row);
  A sq = 0;
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) {
    const A d = load(p, j) - m;
    sq += d * d;
  }
  const A v = block_sum(sq, shared) / A(row);
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = m;
    var[blockIdx.x] = v;
  }
}

template <class T>
__global__ void forward_kernel(const T* x, const acc_t<T>* mean, const acc_t<T>* var,
                               const acc_t<T>* weight, const acc_t<T>* bias, acc_t<T> eps,
                               int64_t c, int64_t hw, int64_t row, int64_t total, T* y) {
  using A = acc_t<T>;
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t ch = i / hw % c, r = i / row;
    const A w = weight ? weight[ch] : A(1), b = bias ? bias[ch] : A(0);
    store(y, i, norm_affine(load(x, i), mean[r], norm_invstd(var[r], eps), w, b));
  }
}

template <class T>
__global__ void param_grads_kernel(const T* g, const T* x, const acc_t<T>* mean,
                                   const acc_t<T>* var, acc_t<T> eps, int64_t n, int64_t c,
                                   int64_t hw, int64_t groups, acc_t<T>* grad_weight,
                                   acc_t<T>* grad_bias) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const int64_t ch = blockIdx.x, cg = c / groups, count = n * hw;
  A sg = 0, sgx = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t s = i / hw, k = (s * c + ch) * hw + i % hw, r = s * groups + ch / cg;
    const A gv = load(g, k);
    sg += gv;
    sgx += gv * ((load(x, k) - mean[r]) * norm_invstd(var[r], eps));
  }
  sg = block_sum(sg, shared);
  sgx = block_sum(sgx, shared);
  if (threadIdx.x == 0) {
    if (grad_weight) grad_weight[ch] = sgx;
    if (grad_bias) grad_bias[ch] = sg;
  }
}

template <class T>
__global__ void backward_x_kernel(const T* g, const T* x, const acc_t<T>* mean, const acc_t<T>* var,
                                  const acc_t<T>* weight, acc_t<T> eps, int64_t hw, int64_t groups,
                                  int64_t cg, T* grad_x) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const int64_t r = blockIdx.x, row = cg * hw, c0 = r % groups * cg, base = r * row;
  const A m = mean[r], invstd = norm_invstd(var[r], eps);
  A sd = 0, sdx = 0;
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) {
    const A dxhat = load(g, base + j) * (weight ? weight[c0 + j / hw] : A(1));
    sd += dxhat;
    sdx += dxhat * ((load(x, base + j) - m) * invstd);
  }
  const A mean_d = block_sum(sd, shared) / A(row), mean_dx = block_sum(sdx, shared) / A(row);
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) {
    const A dxhat = load(g, base + j) * (weight ? weight[c0 + j / hw] : A(1));
    const A xhat = (load(x, base + j) - m) * invstd;
    store(grad_x, base + j, norm_grad_input(dxhat, xhat, invstd, mean_d, mean_dx));
  }
}

template <class T>
using P = acc_t<T>;

}  // namespace

void group_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                      void* mean, void* var, const Context& ctx) {
  if (n * groups == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm_stats", [&] {
    stats_kernel<<<static_cast<unsigned>(n * groups), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), c / groups * hw, static_cast<P<scalar_t>*>(mean),
        static_cast<P<scalar_t>*>(var));
  });
  CUDA_CHECK_LAUNCH();
}

void group_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        int64_t groups, void* y, const Context& ctx) {
  const int64_t total = n * c * hw;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm", [&] {
    using A = P<scalar_t>;
    forward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), static_cast<const A*>(mean), static_cast<const A*>(var),
        static_cast<const A*>(weight), static_cast<const A*>(bias), A(eps), c, hw, c / groups * hw,
        total, static_cast<scalar_t*>(y));
  });
  CUDA_CHECK_LAUNCH();
}

void group_norm_param_grads(const void* grad_out, const void* x, const void* mean, const void* var,
                            double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                            int64_t groups, void* grad_weight, void* grad_bias,
                            const Context& ctx) {
  if (c == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm backward", [&] {
    using A = P<scalar_t>;
    param_grads_kernel<<<static_cast<unsigned>(c), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(x),
        static_cast<const A*>(mean), static_cast<const A*>(var), A(eps), n, c, hw, groups,
        static_cast<A*>(grad_weight), static_cast<A*>(grad_bias));
  });
  CUDA_CHECK_LAUNCH();
}

void group_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, double eps, DType dtype, int64_t n, int64_t c,
                           int64_t hw, int64_t groups, void* grad_x, const Context& ctx) {
  if (n * groups == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm backward", [&] {
    using A = P<scalar_t>;
    backward_x_kernel<<<static_cast<unsigned>(n * groups), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(x),
        static_cast<const A*>(mean), static_cast<const A*>(var), static_cast<const A*>(weight),
        A(eps), hw, groups, c / groups, static_cast<scalar_t*>(grad_x));
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
