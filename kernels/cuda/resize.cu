// CUDA resize kernels (see kernels/resize.h); source coordinates from kernels/resize.cuh, in the
// accumulation type A (fp32, f64 for f64 data). Forward kernels and the nearest backward gather
// (one thread per written element). The bilinear backward scatters each output gradient to its
// four taps with atomicAdd into an A buffer (the gradient itself for f32/f64, a stream-ordered
// fp32 scratch for bf16/f16 that is then rounded once), so its fp32 summation order may vary
// between runs: it refuses to run under --deterministic (core/determinism.h).
#include <type_traits>

#include "core/cuda/context_cuda.h"
#include "core/determinism.h"
#include "core/error.h"
#include "core/scratch.h"
#include "kernels/cuda/types.cuh"
#include "kernels/resize.h"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void nearest2x_forward_kernel(const T* x, int64_t h, int64_t w, int64_t total, T* y) {
  const int64_t ow = 2 * w, oh = 2 * h;
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t j = i % ow, k = i / ow % oh, p = i / (ow * oh);
    y[i] = x[(p * h + nearest2x_source(k)) * w + nearest2x_source(j)];
  }
}

template <class T>
__global__ void nearest2x_backward_kernel(const T* g, int64_t h, int64_t w, int64_t total,
                                          T* grad_x) {
  const int64_t ow = 2 * w;
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t j = i % w, k = i / w % h, p = i / (w * h);
    const int64_t o = (p * 2 * h + 2 * k) * ow + 2 * j;
    store(grad_x, i, load(g, o) + load(g, o + 1) + load(g, o + ow) + load(g, o + ow + 1));
  }
}

template <class T>
__global__ void bilinear_forward_kernel(const T* x, int64_t in_h, int64_t in_w, int64_t out_h,
                                        int64_t out_w, acc_t<T> sh, acc_t<T> sw, bool align_corners,
                                        int64_t total, T* y) {
  using A = acc_t<T>;
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t j = i % out_w, k = i / out_w % out_h, p = i / (out_w * out_h);
    const LinearTap<A> th = bilinear_tap(k, in_h, sh, align_corners);
    const LinearTap<A> tw = bilinear_tap(j, in_w, sw, align_corners);
    const T* src = x + p * in_h * in_w;
    const A top = tw.w0 * load(src, th.i0 * in_w + tw.i0) + tw.w1 * load(src, th.i0 * in_w + tw.i1);
    const A bot = tw.w0 * load(src, th.i1 * in_w + tw.i0) + tw.w1 * load(src, th.i1 * in_w + tw.i1);
    store(y, i, th.w0 * top + th.w1 * bot);
  }
}

template <class T>
__global__ void bilinear_backward_kernel(const T* g, int64_t in_h, int64_t in_w, int64_t out_h,
                                         int64_t out_w, acc_t<T> sh, acc_t<T> sw,
                                         bool align_corners, int64_t total, acc_t<T>* grad_x) {
  using A = acc_t<T>;
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    const int64_t j = i % out_w, k = i / out_w % out_h, p = i / (out_w * out_h);
    const LinearTap<A> th = bilinear_tap(k, in_h, sh, align_corners);
    const LinearTap<A> tw = bilinear_tap(j, in_w, sw, align_corners);
    A* dst = grad_x + p * in_h * in_w;
    const A gv = load(g, i);
    atomicAdd(dst + th.i0 * in_w + tw.i0, th.w0 * tw.w0 * gv);
    atomicAdd(dst + th.i0 * in_w + tw.i1, th.w0 * tw.w1 * gv);
    atomicAdd(dst + th.i1 * in_w + tw.i0, th.w1 * tw.w0 * gv);
    atomicAdd(dst + th.i1 * in_w + tw.i1, th.w1 * tw.w1 * gv);
  }
}

template <class A, class T>
__global__ void round_kernel(const A* src, T* dst, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(dst, i, src[i]);
  }
}

}  // namespace

void upsample_nearest2x_forward(const void* x, DType dtype, int64_t planes, int64_t h, int64_t w,
                                void* y, const Context& ctx) {
  const int64_t total = planes * 4 * h * w;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "upsample_nearest2x", [&] {
    nearest2x_forward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), h, w, total, static_cast<scalar_t*>(y));
  });
  CUDA_CHECK_LAUNCH();
}

void upsample_nearest2x_backward(const void* grad_out, DType dtype, int64_t planes, int64_t h,
                                 int64_t w, void* grad_x, const Context& ctx) {
  const int64_t total = planes * h * w;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "upsample_nearest2x backward", [&] {
    nearest2x_backward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), h, w, total, static_cast<scalar_t*>(grad_x));
  });
  CUDA_CHECK_LAUNCH();
}

void resize_bilinear_forward(const void* x, DType dtype, int64_t planes, int64_t in_h, int64_t in_w,
                             int64_t out_h, int64_t out_w, bool align_corners, void* y,
                             const Context& ctx) {
  const int64_t total = planes * out_h * out_w;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "resize_bilinear", [&] {
    using A = acc_t<scalar_t>;
    bilinear_forward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), in_h, in_w, out_h, out_w,
        bilinear_scale<A>(in_h, out_h, align_corners),
        bilinear_scale<A>(in_w, out_w, align_corners), align_corners, total,
        static_cast<scalar_t*>(y));
  });
  CUDA_CHECK_LAUNCH();
}

void resize_bilinear_backward(const void* grad_out, DType dtype, int64_t planes, int64_t in_h,
                              int64_t in_w, int64_t out_h, int64_t out_w, bool align_corners,
                              void* grad_x, const Context& ctx) {
  const int64_t total = planes * out_h * out_w, in_total = planes * in_h * in_w;
  if (in_total == 0) return;
  CROMSS_CHECK(!deterministic_algorithms(),
               "resize_bilinear backward on CUDA adds with float atomics (run-to-run order "
               "varies) and --deterministic is on");
  cudaStream_t stream = stream_of(ctx);
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "resize_bilinear backward", [&] {
    using A = acc_t<scalar_t>;
    constexpr bool kAccumulateInPlace = std::is_same_v<scalar_t, A>;
    const Scratch scratch(ctx, kAccumulateInPlace ? 0 : in_total * sizeof(A));
    A* acc = kAccumulateInPlace ? static_cast<A*>(grad_x) : scratch.as<A>();
    CUDA_CHECK(cudaMemsetAsync(acc, 0, in_total * sizeof(A), stream));
    if (total > 0) {
      bilinear_backward_kernel<<<blocks_for(total), kThreads, 0, stream>>>(
          static_cast<const scalar_t*>(grad_out), in_h, in_w, out_h, out_w,
          bilinear_scale<A>(in_h, out_h, align_corners),
          bilinear_scale<A>(in_w, out_w, align_corners), align_corners, total, acc);
      CUDA_CHECK_LAUNCH();
    }
    if constexpr (!kAccumulateInPlace) {
      round_kernel<<<blocks_for(in_total), kThreads, 0, stream>>>(
          acc, static_cast<scalar_t*>(grad_x), in_total);
      CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace cromss::cuda_kernels
