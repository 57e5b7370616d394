// CUDA pooling kernels (see kernels/pooling.h); window and bin math from kernels/pooling.cuh.
// One thread per output in the forward passes. The backward passes gather: one thread per input
// element sums the gradients of the outputs whose window/bin holds it, in a fixed order, so
// there are no atomics and results are deterministic. fp32 accumulation for bf16/f16.
#include "core/cuda/context_cuda.h"
#include "kernels/cuda/types.cuh"
#include "kernels/pooling.h"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void max_pool_forward_kernel(PoolGeometry g, const T* x, T* y, int64_t* indices,
                                        int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(o, n) {
    const int64_t p = o / (g.oh * g.ow), oh = (o / g.ow) % g.oh, ow = o % g.ow;
    const T* plane = x + p * g.h * g.w;
    store(y, o,
          max_pool_cell<acc_t<T>>(
              g, oh, ow, [&](int64_t s) { return load(plane, s); }, &indices[o]));
  }
}

template <class T>
__global__ void max_pool_backward_kernel(PoolGeometry g, const T* grad_y, const int64_t* indices,
                                         T* grad_x, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t p = i / (g.h * g.w), h = (i / g.w) % g.h, w = i % g.w;
    const int64_t out0 = p * g.oh * g.ow;
    acc_t<T> acc = 0;
    const int64_t oh1 = pool_last_output(h, g.stride, g.pad, g.oh);
    const int64_t ow1 = pool_last_output(w, g.stride, g.pad, g.ow);
    for (int64_t oh = pool_first_output(h, g.kernel, g.stride, g.pad); oh <= oh1; ++oh)
      for (int64_t ow = pool_first_output(w, g.kernel, g.stride, g.pad); ow <= ow1; ++ow) {
        const int64_t o = out0 + oh * g.ow + ow;
        if (indices[o] == h * g.w + w) acc += load(grad_y, o);
      }
    store(grad_x, i, acc);
  }
}

template <class T>
__global__ void adaptive_avg_forward_kernel(PoolGeometry g, const T* x, T* y, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(o, n) {
    const int64_t p = o / (g.oh * g.ow), oh = (o / g.ow) % g.oh, ow = o % g.ow;
    const int64_t h0 = adaptive_bin_begin(oh, g.h, g.oh), h1 = adaptive_bin_end(oh, g.h, g.oh);
    const int64_t w0 = adaptive_bin_begin(ow, g.w, g.ow), w1 = adaptive_bin_end(ow, g.w, g.ow);
    const T* plane = x + p * g.h * g.w;
    acc_t<T> sum = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) sum += load(plane, h * g.w + w);
    store(y, o, sum / static_cast<acc_t<T>>((h1 - h0) * (w1 - w0)));
  }
}

template <class T>
__global__ void adaptive_avg_backward_kernel(PoolGeometry g, const T* grad_y, T* grad_x,
                                             int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t p = i / (g.h * g.w), h = (i / g.w) % g.h, w = i % g.w;
    const T* gy = grad_y + p * g.oh * g.ow;
    acc_t<T> acc = 0;
    for (int64_t oh = adaptive_first_output(h, g.h, g.oh); oh < adaptive_end_output(h, g.h, g.oh);
         ++oh) {
      const int64_t rows = adaptive_bin_end(oh, g.h, g.oh) - adaptive_bin_begin(oh, g.h, g.oh);
      for (int64_t ow = adaptive_first_output(w, g.w, g.ow); ow < adaptive_end_output(w, g.w, g.ow);
           ++ow) {
        const int64_t cols = adaptive_bin_end(ow, g.w, g.ow) - adaptive_bin_begin(ow, g.w, g.ow);
        acc += load(gy, oh * g.ow + ow) / static_cast<acc_t<T>>(rows * cols);
      }
    }
    store(grad_x, i, acc);
  }
}

}  // namespace

void max_pool2d_forward(const PoolGeometry& g, const void* x, void* y, int64_t* indices,
                        DType dtype, const Context& ctx) {
  const int64_t n = g.planes() * g.oh * g.ow;
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "max_pool2d", [&] {
    max_pool_forward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        g, static_cast<const scalar_t*>(x), static_cast<scalar_t*>(y), indices, n);
  });
  CUDA_CHECK_LAUNCH();
}

void max_pool2d_backward(const PoolGeometry& g, const void* grad_y, const int64_t* indices,
                         void* grad_x, DType dtype, const Context& ctx) {
  const int64_t n = g.planes() * g.h * g.w;
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "max_pool2d_backward", [&] {
    max_pool_backward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        g, static_cast<const scalar_t*>(grad_y), indices, static_cast<scalar_t*>(grad_x), n);
  });
  CUDA_CHECK_LAUNCH();
}

void adaptive_avg_pool2d_forward(const PoolGeometry& g, const void* x, void* y, DType dtype,
                                 const Context& ctx) {
  const int64_t n = g.planes() * g.oh * g.ow;
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "adaptive_avg_pool2d", [&] {
    adaptive_avg_forward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        g, static_cast<const scalar_t*>(x), static_cast<scalar_t*>(y), n);
  });
  CUDA_CHECK_LAUNCH();
}

void adaptive_avg_pool2d_backward(const PoolGeometry& g, const void* grad_y, void* grad_x,
                                  DType dtype, const Context& ctx) {
  const int64_t n = g.planes() * g.h * g.w;
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "adaptive_avg_pool2d_backward", [&] {
    adaptive_avg_backward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
        g, static_cast<const scalar_t*>(grad_y), static_cast<scalar_t*>(grad_x), n);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
