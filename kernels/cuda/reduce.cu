// CUDA sum over axes and its backward (see kernels/reduce.h); index math from kernels/reduce.cuh.
//
// Two strategies, both deterministic (fixed summation order for a given shape):
//  - many outputs whose innermost axis is kept (e.g. sum over channels of NCHW): one thread per
//    output, so neighbouring threads read neighbouring elements;
//  - otherwise one block per (output, split) with a CUB block reduction; when few outputs cover
//    many elements (mean over everything) the reduced range is split across blocks and a second
//    kernel adds the per-split partial sums in order.
#include <cub/block/block_reduce.cuh>

#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/cuda/types.cuh"
#include "kernels/reduce.h"

namespace cromss::cuda_kernels {
namespace {

constexpr int64_t kElementsPerSplit = 16384;
constexpr int64_t kMaxSplits = 1024;

template <class T>
__global__ void reduce_thread_per_output(const T* x, T* out, ReduceLayout l, acc_t<T> scale) {
  CROMSS_GRID_STRIDE_LOOP(o, l.kept_count) {
    const T* base = x + kept_offset(l, o);
    acc_t<T> acc = 0;
    for (int64_t r = 0; r < l.reduced_count; ++r) acc += load(base, reduced_offset(l, r));
    store(out, o, acc * scale);
  }
}

// Block (o, s) sums elements [s * chunk, (s + 1) * chunk) of output o. With one split the result
// is scaled and stored; otherwise it goes to partial[o * splits + s].
template <class T>
__global__ void reduce_block_per_output(const T* x, T* out, acc_t<T>* partial, ReduceLayout l,
                                        int64_t chunk, acc_t<T> scale) {
  using BlockReduce = cub::BlockReduce<acc_t<T>, kThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  const int64_t splits = gridDim.y;
  for (int64_t o = blockIdx.x; o < l.kept_count; o += gridDim.x) {
    const T* base = x + kept_offset(l, o);
    const int64_t begin = blockIdx.y * chunk;
    const int64_t end = begin + chunk < l.reduced_count ? begin + chunk : l.reduced_count;
    acc_t<T> acc = 0;
    for (int64_t r = begin + threadIdx.x; r < end; r += blockDim.x)
      acc += load(base, reduced_offset(l, r));
    acc_t<T> total = BlockReduce(temp).Sum(acc);
    if (threadIdx.x == 0) {
      if (splits == 1)
        store(out, o, total * scale);
      else
        partial[o * splits + blockIdx.y] = total;
    }
    __syncthreads();  // temp is reused by the next output
  }
}

template <class T>
__global__ void reduce_finalize(const acc_t<T>* partial, T* out, int64_t outputs, int64_t splits,
                                acc_t<T> scale) {
  CROMSS_GRID_STRIDE_LOOP(o, outputs) {
    acc_t<T> acc = 0;
    for (int64_t s = 0; s < splits; ++s) acc += partial[o * splits + s];
    store(out, o, acc * scale);
  }
}

template <class T>
__global__ void reduce_backward_kernel(const T* g, T* gi, ReduceLayout l, acc_t<T> scale,
                                       int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(gi, i, scale * load(g, out_index(l, i)));
  }
}

bool thread_per_output(const ReduceLayout& l) {
  const bool inner_kept = l.ndim > 0 && !l.reduced[l.ndim - 1];
  return (inner_kept && l.kept_count >= 4096) || l.reduced_count <= 32;
}

// Number of blocks sharing one output's reduced range.
int64_t splits_for(const ReduceLayout& l) {
  if (thread_per_output(l) || l.kept_count >= 1024) return 1;
  const int64_t s = (l.reduced_count + kElementsPerSplit - 1) / kElementsPerSplit;
  return s < kMaxSplits ? s : kMaxSplits;
}

// Bytes of partial sums when several blocks share one output (0 when it reduces in one pass).
size_t partial_sum_bytes(DType dtype, const ReduceLayout& l) {
  const int64_t splits = splits_for(l);
  if (splits == 1) return 0;
  return static_cast<size_t>(l.kept_count * splits) * (dtype == DType::f64 ? 8 : 4);
}

}  // namespace

void reduce_sum(const void* x, void* out, DType dtype, const ReduceLayout& l, double scale,
                const Context& ctx) {
  if (l.kept_count == 0) return;
  cudaStream_t stream = stream_of(ctx);
  const Scratch partial(ctx, thread_per_output(l) ? 0 : partial_sum_bytes(dtype, l));
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "sum", [&] {
    using A = acc_t<scalar_t>;
    auto xp = static_cast<const scalar_t*>(x);
    auto op = static_cast<scalar_t*>(out);
    if (thread_per_output(l)) {
      reduce_thread_per_output<<<blocks_for(l.kept_count), kThreads, 0, stream>>>(
          xp, op, l, static_cast<A>(scale));
      return;
    }
    const int64_t splits = splits_for(l);
    const int64_t chunk = (l.reduced_count + splits - 1) / splits;
    const unsigned gx =
        static_cast<unsigned>(l.kept_count < 65535 * 32 ? l.kept_count : 65535 * 32);
    A* pp = partial.as<A>();
    reduce_block_per_output<<<dim3(gx, static_cast<unsigned>(splits)), kThreads, 0, stream>>>(
        xp, op, pp, l, chunk, static_cast<A>(scale));
    CUDA_CHECK_LAUNCH();
    if (splits > 1)
      reduce_finalize<<<blocks_for(l.kept_count), kThreads, 0, stream>>>(
          pp, op, l.kept_count, splits, static_cast<A>(scale));
  });
  CUDA_CHECK_LAUNCH();
}

void reduce_sum_backward(const void* grad_out, void* grad_in, DType dtype, const ReduceLayout& l,
                         double scale, int64_t numel, const Context& ctx) {
  if (numel == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "sum_backward", [&] {
    reduce_backward_kernel<<<blocks_for(numel), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), static_cast<scalar_t*>(grad_in), l,
        static_cast<acc_t<scalar_t>>(scale), numel);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
