// CUDA resize kernels (see kernels/resize.h); source coordinates from kernels/resize.cuh, in the
// accumulation type A (fp32, f64 for f64 data); plane addressing (nchw or nhwc) from
// kernels/dense_planes.cuh, threads in memory order. Forward kernels and the nearest backward
// gather (one thread per written element). The bilinear backward scatters each output gradient
// to its four taps with atomicAdd into an A buffer (the gradient itself for f32/f64, a
// stream-ordered fp32 scratch for bf16/f16 that is then rounded once), so its fp32 summation order
// may vary between runs: it refuses to run under --deterministic (core/determinism.h).
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
__global__ void nearest2x_forward_kernel(const T* x, DensePlanes in, int64_t total, T* y) {
  const DensePlanes out = in.resized(2 * in.h, 2 * in.w);
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    int64_t p = 0, s = 0;
    out.locate(i, &p, &s);
    const int64_t k = s / out.w, j = s % out.w;
    y[i] = x[in.offset(p, nearest2x_source(k) * in.w + nearest2x_source(j))];
  }
}

template <class T>
__global__ void nearest2x_backward_kernel(const T* g, DensePlanes in, int64_t total, T* grad_x) {
  const DensePlanes out = in.resized(2 * in.h, 2 * in.w);
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    int64_t p = 0, s = 0;
    in.locate(i, &p, &s);
    const int64_t k = s / in.w, j = s % in.w;
    const int64_t o = out.offset(p, 2 * k * out.w + 2 * j), right = out.pixel_stride(),
                  down = out.w * out.pixel_stride();
    store(grad_x, i,
          load(g, o) + load(g, o + right) + load(g, o + down) + load(g, o + down + right));
  }
}

template <class T>
__global__ void bilinear_forward_kernel(const T* x, DensePlanes in, int64_t out_h, int64_t out_w,
                                        acc_t<T> sh, acc_t<T> sw, bool align_corners, int64_t total,
                                        T* y) {
  using A = acc_t<T>;
  const DensePlanes out = in.resized(out_h, out_w);
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    int64_t p = 0, s = 0;
    out.locate(i, &p, &s);
    const int64_t k = s / out_w, j = s % out_w;
    const LinearTap<A> th = bilinear_tap(k, in.h, sh, align_corners);
    const LinearTap<A> tw = bilinear_tap(j, in.w, sw, align_corners);
    auto src = [&](int64_t r, int64_t c) { return load(x, in.offset(p, r * in.w + c)); };
    const A top = tw.w0 * src(th.i0, tw.i0) + tw.w1 * src(th.i0, tw.i1);
    const A bot = tw.w0 * src(th.i1, tw.i0) + tw.w1 * src(th.i1, tw.i1);
    store(y, i, th.w0 * top + th.w1 * bot);
  }
}

template <class T>
__global__ void bilinear_backward_kernel(const T* g, DensePlanes in, int64_t out_h, int64_t out_w,
                                         acc_t<T> sh, acc_t<T> sw, bool align_corners,
                                         int64_t total, acc_t<T>* grad_x) {
  using A = acc_t<T>;
  const DensePlanes out = in.resized(out_h, out_w);
  CROMSS_GRID_STRIDE_LOOP(i, total) {
    int64_t p = 0, s = 0;
    out.locate(i, &p, &s);
    const int64_t k = s / out_w, j = s % out_w;
    const LinearTap<A> th = bilinear_tap(k, in.h, sh, align_corners);
    const LinearTap<A> tw = bilinear_tap(j, in.w, sw, align_corners);
    auto dst = [&](int64_t r, int64_t c) { return grad_x + in.offset(p, r * in.w + c); };
    const A gv = load(g, i);
    atomicAdd(dst(th.i0, tw.i0), th.w0 * tw.w0 * gv);
    atomicAdd(dst(th.i0, tw.i1), th.w0 * tw.w1 * gv);
    atomicAdd(dst(th.i1, tw.i0), th.w1 * tw.w0 * gv);
    atomicAdd(dst(th.i1, tw.i1), th.w1 * tw.w1 * gv);
  }
}

template <class A, class T>
__global__ void round_kernel(const A* src, T* dst, int64_t n) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    store(dst, i, src[i]);
  }
}

}  // namespace

void upsample_nearest2x_forward(const void* x, DType dtype, const DensePlanes& in, void* y,
                                const Context& ctx) {
  const int64_t total = 4 * in.numel();
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "upsample_nearest2x", [&] {
    nearest2x_forward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), in, total, static_cast<scalar_t*>(y));
  });
  CUDA_CHECK_LAUNCH();
}

void upsample_nearest2x_backward(const void* grad_out, DType dtype, const DensePlanes& in,
                                 void* grad_x, const Context& ctx) {
  const int64_t total = in.numel();
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "upsample_nearest2x backward", [&] {
    nearest2x_backward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(grad_out), in, total, static_cast<scalar_t*>(grad_x));
  });
  CUDA_CHECK_LAUNCH();
}

void resize_bilinear_forward(const void* x, DType dtype, const DensePlanes& in, int64_t out_h,
                             int64_t out_w, bool align_corners, void* y, const Context& ctx) {
  const int64_t total = in.planes() * out_h * out_w;
  if (total == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "resize_bilinear", [&] {
    using A = acc_t<scalar_t>;
    bilinear_forward_kernel<<<blocks_for(total), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const scalar_t*>(x), in, out_h, out_w,
        bilinear_scale<A>(in.h, out_h, align_corners),
        bilinear_scale<A>(in.w, out_w, align_corners), align_corners, total,
        static_cast<scalar_t*>(y));
  });
  CUDA_CHECK_LAUNCH();
}

void resize_bilinear_backward(const void* grad_out, DType dtype, const DensePlanes& in,
                              int64_t out_h, int64_t out_w, bool align_corners, void* grad_x,
                              const Context& ctx) {
  const int64_t total = in.planes() * out_h * out_w, in_total = in.numel();
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
          static_cast<const scalar_t*>(grad_out), in, out_h, out_w,
          bilinear_scale<A>(in.h, out_h, align_corners),
          bilinear_scale<A>(in.w, out_w, align_corners), align_corners, total, acc);
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
