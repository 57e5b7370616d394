// Layout and dtype kernels behind Tensor::contiguous, Tensor::to(DType) and Tensor::fill_.
#include "core/cuda/context_cuda.h"
#include "kernels/copy.h"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void strided_copy_kernel(const T* src, T* dst, StridedLayout layout, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    int64_t rem = i, off = 0;
    for (int d = layout.ndim - 1; d >= 0; --d) {
      off += (rem % layout.sizes[d]) * layout.strides[d];
      rem /= layout.sizes[d];
    }
    dst[i] = src[off];
  }
}

template <class S, class D>
__global__ void convert_kernel(const S* src, D* dst, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(dst, i, static_cast<acc_t<D>>(load(src, i)));
  }
}

template <class T>
__global__ void fill_kernel(T* dst, acc_t<T> value, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(dst, i, value);
  }
}

}  // namespace

void strided_copy(const void* src, void* dst, DType dtype, const StridedLayout& layout,
                  int64_t count, const Context& ctx) {
  CUDA_CHECK(cudaSetDevice(ctx.index()));
  cudaStream_t s = stream_of(ctx);
  CROMSS_DISPATCH_CUDA_ALL(dtype, "strided_copy", [&] {
    strided_copy_kernel<<<blocks_for(count), kThreads, 0, s>>>(
        static_cast<const scalar_t*>(src), static_cast<scalar_t*>(dst), layout, count);
  });
  CUDA_CHECK_LAUNCH();
}

void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t count,
             const Context& ctx) {
  CUDA_CHECK(cudaSetDevice(ctx.index()));
  cudaStream_t s = stream_of(ctx);
  CROMSS_DISPATCH_CUDA_ALL(src_type, "convert", [&] {
    using src_t = scalar_t;
    CROMSS_DISPATCH_CUDA_ALL(dst_type, "convert", [&] {
      convert_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<const src_t*>(src),
                                                            static_cast<scalar_t*>(dst), count);
    });
  });
  CUDA_CHECK_LAUNCH();
}

void fill(void* dst, DType dtype, double value, int64_t count, const Context& ctx) {
  CUDA_CHECK(cudaSetDevice(ctx.index()));
  cudaStream_t s = stream_of(ctx);
  CROMSS_DISPATCH_CUDA_ALL(dtype, "fill", [&] {
    fill_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<scalar_t*>(dst),
                                                       static_cast<acc_t<scalar_t>>(value), count);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
