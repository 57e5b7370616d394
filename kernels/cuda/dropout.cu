// CUDA dropout mask application (see kernels/dropout.h); mask math from kernels/dropout.cuh.
#include "core/cuda/context_cuda.h"
#include "kernels/cuda/types.cuh"
#include "kernels/dropout.h"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void dropout_kernel(const T* x, T* out, DensePlanes layout, int64_t n, int64_t group,
                               uint64_t seed, float p, acc_t<T> scale) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const bool keep = dropout_keep(seed, layout.logical_index(i), group, p);
    store(out, i, cromss::dropout_apply(load(x, i), keep, scale));
  }
}

}  // namespace

void dropout_apply(const void* x, void* out, DType dtype, const DensePlanes& layout, int64_t group,
                   uint64_t seed, float p, const Context& ctx) {
  const int64_t n = layout.numel();
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "dropout", [&] {
    using A = acc_t<scalar_t>;
    dropout_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(out), layout, n, group, seed, p,
        A(1) / (A(1) - static_cast<A>(p)));
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
