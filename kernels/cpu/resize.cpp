// CPU reference of the resize kernels (see kernels/resize.h); coordinates from
// kernels/resize.cuh, plane addressing (nchw or nhwc) from kernels/dense_planes.cuh. The
// bilinear backward scatters each output gradient to its four taps.
#include <algorithm>
#include <vector>

#include "kernels/cpu/float_dispatch.h"
#include "kernels/resize.h"

namespace cromss::cpu_kernels {
namespace {

// The taps of every output index along one axis, computed once per call.
template <class T>
std::vector<LinearTap<T>> axis_taps(int64_t in_size, int64_t out_size, bool align_corners) {
  const T scale = bilinear_scale<T>(in_size, out_size, align_corners);
  std::vector<LinearTap<T>> taps(out_size);
  for (int64_t k = 0; k < out_size; ++k) taps[k] = bilinear_tap(k, in_size, scale, align_corners);
  return taps;
}

}  // namespace

template <class T>
void upsample_nearest2x_forward(const T* x, const DensePlanes& in, T* y) {
  const DensePlanes out = in.resized(2 * in.h, 2 * in.w);
  for (int64_t p = 0; p < in.planes(); ++p)
    for (int64_t i = 0; i < out.h; ++i)
      for (int64_t j = 0; j < out.w; ++j)
        y[out.offset(p, i * out.w + j)] =
            x[in.offset(p, nearest2x_source(i) * in.w + nearest2x_source(j))];
}

template <class T>
void upsample_nearest2x_backward(const T* grad_out, const DensePlanes& in, T* grad_x) {
  const DensePlanes out = in.resized(2 * in.h, 2 * in.w);
  for (int64_t p = 0; p < in.planes(); ++p)
    for (int64_t i = 0; i < in.h; ++i)
      for (int64_t j = 0; j < in.w; ++j) {
        auto g = [&](int64_t di, int64_t dj) {
          return grad_out[out.offset(p, (2 * i + di) * out.w + 2 * j + dj)];
        };
        grad_x[in.offset(p, i * in.w + j)] = g(0, 0) + g(0, 1) + g(1, 0) + g(1, 1);
      }
}

template <class T>
void resize_bilinear_forward(const T* x, const DensePlanes& in, int64_t out_h, int64_t out_w,
                             bool align_corners, T* y) {
  const DensePlanes out = in.resized(out_h, out_w);
  const std::vector<LinearTap<T>> taps_h = axis_taps<T>(in.h, out_h, align_corners);
  const std::vector<LinearTap<T>> taps_w = axis_taps<T>(in.w, out_w, align_corners);
  for (int64_t p = 0; p < in.planes(); ++p) {
    auto src = [&](int64_t i, int64_t j) { return x[in.offset(p, i * in.w + j)]; };
    for (int64_t i = 0; i < out_h; ++i) {
      const LinearTap<T>& th = taps_h[i];
      for (int64_t j = 0; j < out_w; ++j) {
        const LinearTap<T>& tw = taps_w[j];
        y[out.offset(p, i * out_w + j)] =
            th.w0 * (tw.w0 * src(th.i0, tw.i0) + tw.w1 * src(th.i0, tw.i1)) +
            th.w1 * (tw.w0 * src(th.i1, tw.i0) + tw.w1 * src(th.i1, tw.i1));
      }
    }
  }
}

template <class T>
void resize_bilinear_backward(const T* grad_out, const DensePlanes& in, int64_t out_h,
                              int64_t out_w, bool align_corners, T* grad_x) {
  const DensePlanes out = in.resized(out_h, out_w);
  std::fill(grad_x, grad_x + in.numel(), T(0));
  const std::vector<LinearTap<T>> taps_h = axis_taps<T>(in.h, out_h, align_corners);
  const std::vector<LinearTap<T>> taps_w = axis_taps<T>(in.w, out_w, align_corners);
  for (int64_t p = 0; p < in.planes(); ++p) {
    auto dst = [&](int64_t i, int64_t j) -> T& { return grad_x[in.offset(p, i * in.w + j)]; };
    for (int64_t i = 0; i < out_h; ++i) {
      const LinearTap<T>& th = taps_h[i];
      for (int64_t j = 0; j < out_w; ++j) {
        const LinearTap<T>& tw = taps_w[j];
        const T g = grad_out[out.offset(p, i * out_w + j)];
        dst(th.i0, tw.i0) += th.w0 * tw.w0 * g;
        dst(th.i0, tw.i1) += th.w0 * tw.w1 * g;
        dst(th.i1, tw.i0) += th.w1 * tw.w0 * g;
        dst(th.i1, tw.i1) += th.w1 * tw.w1 * g;
      }
    }
  }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void upsample_nearest2x_forward(const void* x, DType dtype, const DensePlanes& in, void* y,
                                const Context&) {
  CROMSS_CPU_FLOAT(dtype, "upsample_nearest2x_forward", [&] {
    upsample_nearest2x_forward<scalar_t>(typed<scalar_t>(x), in, typed<scalar_t>(y));
  });
}

void upsample_nearest2x_backward(const void* grad_out, DType dtype, const DensePlanes& in,
                                 void* grad_x, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "upsample_nearest2x_backward", [&] {
    upsample_nearest2x_backward<scalar_t>(typed<scalar_t>(grad_out), in, typed<scalar_t>(grad_x));
  });
}

void resize_bilinear_forward(const void* x, DType dtype, const DensePlanes& in, int64_t out_h,
                             int64_t out_w, bool align_corners, void* y, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "resize_bilinear_forward", [&] {
    resize_bilinear_forward<scalar_t>(typed<scalar_t>(x), in, out_h, out_w, align_corners,
                                      typed<scalar_t>(y));
  });
}

void resize_bilinear_backward(const void* grad_out, DType dtype, const DensePlanes& in,
                              int64_t out_h, int64_t out_w, bool align_corners, void* grad_x,
                              const Context&) {
  CROMSS_CPU_FLOAT(dtype, "resize_bilinear_backward", [&] {
    resize_bilinear_backward<scalar_t>(typed<scalar_t>(grad_out), in, out_h, out_w, align_corners,
                                       typed<scalar_t>(grad_x));
  });
}

}  // namespace cromss::cpu_kernels
