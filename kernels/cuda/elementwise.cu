// CUDA elementwise kernels (see kernels/elementwise.h); math from kernels/elementwise.cuh.
#include "core/cuda/context_cuda.h"
#include "kernels/cuda/types.cuh"
#include "kernels/elementwise.h"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void binary_kernel(BinaryOp op, const T* a, const T* b, T* out, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(out, i, binary_apply(op, load(a, i), load(b, i)));
  }
}

template <class T>
__global__ void scale_kernel(const T* x, acc_t<T> alpha, T* out, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(out, i, alpha * load(x, i));
  }
}

template <class T>
__global__ void add_inplace_kernel(T* dst, const T* src, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(dst, i, load(dst, i) + load(src, i));
  }
}

template <class T>
__global__ void relu_forward_kernel(const T* x, T* out, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(out, i, cromss::relu_forward(load(x, i)));
  }
}

template <class T>
__global__ void relu_backward_kernel(const T* g, const T* y, T* gi, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(gi, i, cromss::relu_backward(load(g, i), load(y, i)));
  }
}

}  // namespace

void binary(BinaryOp op, const void* a, const void* b, void* out, DType dtype, int64_t n,
            const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "binary", [&] {
    binary_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        op, static_cast<const scalar_t*>(a), static_cast<const scalar_t*>(b),
        static_cast<scalar_t*>(out), n);
  });
  CUDA_CHECK_LAUNCH();
}

void scale(const void* x, double alpha, void* out, DType dtype, int64_t n, const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "scale", [&] {
    scale_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), static_cast<acc_t<scalar_t>>(alpha),
        static_cast<scalar_t*>(out), n);
  });
  CUDA_CHECK_LAUNCH();
}

void add_inplace(void* dst, const void* src, DType dtype, int64_t n, const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "add_inplace", [&] {
    add_inplace_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        static_cast<scalar_t*>(dst), static_cast<const scalar_t*>(src), n);
  });
  CUDA_CHECK_LAUNCH();
}

void relu_forward(const void* x, void* out, DType dtype, int64_t n, const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "relu", [&] {
    relu_forward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(out), n);
  });
  CUDA_CHECK_LAUNCH();
}

void relu_backward(const void* g, const void* y, void* gi, DType dtype, int64_t n,
                   const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "relu_backward", [&] {
    relu_backward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(g), static_cast<const scalar_t*>(y),
        static_cast<scalar_t*>(gi), n);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
