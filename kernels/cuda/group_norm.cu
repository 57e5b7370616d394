// CUDA group-normalisation kernels (see kernels/group_norm.h); per-element math from
// kernels/batch_norm.cuh. Statistics and the input gradient run one block per (sample, group)
// "row" of (c / groups) * hw values (two-pass mean / variance; the backward sums and dx in one
// kernel), the weight / bias gradients one block per channel. In NCHW a row is contiguous; in
// NHWC the block walks it pixel by pixel, the group's channels of one pixel adjacent
// (GroupRow below). All sums are deterministic block sums in the accumulation type A (fp32, f64
// for f64 data). The FPN decoder is the only user: simple rather than bandwidth-bound.
#include "core/cuda/context_cuda.h"
#include "kernels/cuda/norm_block_reduce.cuh"
#include "kernels/cuda/types.cuh"
#include "kernels/group_norm.h"

namespace cromss::cuda_kernels {
namespace {

constexpr int kReduceThreads = 512;

// The values of row r = s * groups + g: the j-th (0 <= j < cg * hw) and its channel.
struct GroupRow {
  bool nhwc;
  int64_t groups, cg, hw;
  __device__ int64_t offset(int64_t r, int64_t j) const {
    if (!nhwc) return r * cg * hw + j;
    const int64_t s = r / groups, p = j / cg;
    return (s * hw + p) * groups * cg + (r - s * groups) * cg + (j - p * cg);
  }
  __device__ int64_t channel(int64_t r, int64_t j) const {
    return r % groups * cg + (nhwc ? j % cg : j / hw);
  }
};

template <class T>
__global__ void stats_kernel(const T* x, GroupRow rows, acc_t<T>* mean, acc_t<T>* var) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const int64_t r = blockIdx.x, row = rows.cg * rows.hw;
  A sum = 0;
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) sum += load(x, rows.offset(r, j));
  const A m = block_sum(sum, shared) / A(row);
  A sq = 0;
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) {
    const A d = load(x, rows.offset(r, j)) - m;
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
                               int64_t c, int64_t hw, int64_t inner, int64_t groups, int64_t total,
                               T* y) {
  using A = acc_t<T>;
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t ch = i / inner % c, r = i / (c * hw) * groups + ch / (c / groups);
    const A w = weight ? weight[ch] : A(1), b = bias ? bias[ch] : A(0);
    store(y, i, norm_affine(load(x, i), mean[r], norm_invstd(var[r], eps), w, b));
  }
}

template <class T>
__global__ void param_grads_kernel(const T* g, const T* x, const acc_t<T>* mean,
                                   const acc_t<T>* var, acc_t<T> eps, int64_t n, int64_t c,
                                   int64_t hw, int64_t groups, MemoryFormat format,
                                   acc_t<T>* grad_weight, acc_t<T>* grad_bias) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const int64_t ch = blockIdx.x, cg = c / groups, count = n * hw;
  A sg = 0, sgx = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t s = i / hw, k = group_norm_offset(format, s, ch, i % hw, c, hw);
    const int64_t r = s * groups + ch / cg;
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
                                  const acc_t<T>* weight, acc_t<T> eps, GroupRow rows, T* grad_x) {
  using A = acc_t<T>;
  __shared__ A shared[32];
  const int64_t r = blockIdx.x, row = rows.cg * rows.hw;
  const A m = mean[r], invstd = norm_invstd(var[r], eps);
  A sd = 0, sdx = 0;
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) {
    const int64_t k = rows.offset(r, j);
    const A dxhat = load(g, k) * (weight ? weight[rows.channel(r, j)] : A(1));
    sd += dxhat;
    sdx += dxhat * ((load(x, k) - m) * invstd);
  }
  const A mean_d = block_sum(sd, shared) / A(row), mean_dx = block_sum(sdx, shared) / A(row);
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x) {
    const int64_t k = rows.offset(r, j);
    const A dxhat = load(g, k) * (weight ? weight[rows.channel(r, j)] : A(1));
    const A xhat = (load(x, k) - m) * invstd;
    store(grad_x, k, norm_grad_input(dxhat, xhat, invstd, mean_d, mean_dx));
  }
}

template <class T>
using P = acc_t<T>;

GroupRow group_row(MemoryFormat format, int64_t c, int64_t hw, int64_t groups) {
  return {format == MemoryFormat::nhwc, groups, c / groups, hw};
}

}  // namespace

void group_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                      MemoryFormat format, void* mean, void* var, const Context& ctx) {
  if (n * groups == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm_stats", [&] {
    stats_kernel<<<static_cast<unsigned>(n * groups), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), group_row(format, c, hw, groups),
        static_cast<P<scalar_t>*>(mean), static_cast<P<scalar_t>*>(var));
  });
  CUDA_CHECK_LAUNCH();
}

void group_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        int64_t groups, MemoryFormat format, void* y, const Context& ctx) {
  const int64_t total = n * c * hw;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm", [&] {
    using A = P<scalar_t>;
    forward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), static_cast<const A*>(mean), static_cast<const A*>(var),
        static_cast<const A*>(weight), static_cast<const A*>(bias), A(eps), c, hw,
        format == MemoryFormat::nhwc ? 1 : hw, groups, total, static_cast<scalar_t*>(y));
  });
  CUDA_CHECK_LAUNCH();
}

void group_norm_param_grads(const void* grad_out, const void* x, const void* mean, const void* var,
                            double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                            int64_t groups, MemoryFormat format, void* grad_weight, void* grad_bias,
                            const Context& ctx) {
  if (c == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm backward", [&] {
    using A = P<scalar_t>;
    param_grads_kernel<<<static_cast<unsigned>(c), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(x),
        static_cast<const A*>(mean), static_cast<const A*>(var), A(eps), n, c, hw, groups, format,
        static_cast<A*>(grad_weight), static_cast<A*>(grad_bias));
  });
  CUDA_CHECK_LAUNCH();
}

void group_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, double eps, DType dtype, int64_t n, int64_t c,
                           int64_t hw, int64_t groups, MemoryFormat format, void* grad_x,
                           const Context& ctx) {
  if (n * groups == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "group_norm backward", [&] {
    using A = P<scalar_t>;
    backward_x_kernel<<<static_cast<unsigned>(n * groups), kReduceThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<const scalar_t*>(x),
        static_cast<const A*>(mean), static_cast<const A*>(var), static_cast<const A*>(weight),
        A(eps), group_row(format, c, hw, groups), static_cast<scalar_t*>(grad_x));
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
