// CUDA pooling kernels (see kernels/pooling.h); window and bin math from kernels/pooling.cuh,
// plane addressing (nchw or nhwc) from kernels/dense_planes.cuh. One thread per output in the
// forward passes, in memory order (in nhwc neighbouring threads read neighbouring channels).
// The backward passes gather: one thread per input element sums the gradients of the outputs
// whose window/bin holds it, in a fixed order, so there are no atomics and results are
// deterministic. fp32 accumulation for bf16/f16.
#include "core/cuda/context_cuda.h"
#include "kernels/cuda/types.cuh"
#include "kernels/pooling.h"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void max_pool_forward_kernel(PoolGeometry g, const T* x, T* y, int64_t* indices,
                                        int64_t n) {
  const DensePlanes in = g.input(), out = g.output();
  CROMSS_GRID_STRIDE_LOOP(o, n) {
    int64_t p = 0, s = 0;
    out.locate(o, &p, &s);
    store(y, o,
          max_pool_cell<acc_t<T>>(
              g, s / g.ow, s % g.ow, [&](int64_t t) { return load(x, in.offset(p, t)); },
              &indices[o]));
  }
}

template <class T>
__global__ void max_pool_backward_kernel(PoolGeometry g, const T* grad_y, const int64_t* indices,
                                         T* grad_x, int64_t n) {
  const DensePlanes in = g.input(), out = g.output();
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    int64_t p = 0, s = 0;
    in.locate(i, &p, &s);
    const int64_t h = s / g.w, w = s % g.w;
    acc_t<T> acc = 0;
    const int64_t oh1 = pool_last_output(h, g.stride, g.pad, g.oh);
    const int64_t ow1 = pool_last_output(w, g.stride, g.pad, g.ow);
    for (int64_t oh = pool_first_output(h, g.kernel, g.stride, g.pad); oh <= oh1; ++oh)
      for (int64_t ow = pool_first_output(w, g.kernel, g.stride, g.pad); ow <= ow1; ++ow) {
        const int64_t o = out.offset(p, oh * g.ow + ow);
        if (indices[o] == s) acc += load(grad_y, o);
      }
    store(grad_x, i, acc);
  }
}

template <class T>
__global__ void adaptive_avg_forward_kernel(PoolGeometry g, const T* x, T* y, int64_t n) {
  const DensePlanes in = g.input(), out = g.output();
  CROMSS_GRID_STRIDE_LOOP(o, n) {
    int64_t p = 0, s = 0;
    out.locate(o, &p, &s);
    const int64_t oh = s / g.ow, ow = s % g.ow;
    const int64_t h0 = adaptive_bin_begin(oh, g.h, g.oh), h1 = adaptive_bin_end(oh, g.h, g.oh);
    const int64_t w0 = adaptive_bin_begin(ow, g.w, g.ow), w1 = adaptive_bin_end(ow, g.w, g.ow);
    acc_t<T> sum = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) sum += load(x, in.offset(p, h * g.w + w));
    store(y, o, sum / static_cast<acc_t<T>>((h1 - h0) * (w1 - w0)));
  }
}

template <class T>
__global__ void adaptive_avg_backward_kernel(PoolGeometry g, const T* grad_y, T* grad_x,
                                             int64_t n) {
  const DensePlanes in = g.input(), out = g.output();
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    int64_t p = 0, s = 0;
    in.locate(i, &p, &s);
    const int64_t h = s / g.w, w = s % g.w;
    acc_t<T> acc = 0;
    for (int64_t oh = adaptive_first_output(h, g.h, g.oh); oh < adaptive_end_output(h, g.h, g.oh);
         ++oh) {
      const int64_t rows = adaptive_bin_end(oh, g.h, g.oh) - adaptive_bin_begin(oh, g.h, g.oh);
      for (int64_t ow = adaptive_first_output(w, g.w, g.ow); ow < adaptive_end_output(w, g.w, g.ow);
           ++ow) {
        const int64_t cols = adaptive_bin_end(ow, g.w, g.ow) - adaptive_bin_begin(ow, g.w, g.ow);
        acc += load(grad_y, out.offset(p, oh * g.ow + ow)) / static_cast<acc_t<T>>(rows * cols);
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
