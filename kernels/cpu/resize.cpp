// CPU reference of the resize kernels (see kernels/resize.h); coordinates from
// kernels/resize.cuh. The bilinear backward scatters each output gradient to its four taps.
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
void upsample_nearest2x_forward(const T* x, int64_t planes, int64_t h, int64_t w, T* y) {
  const int64_t oh = 2 * h, ow = 2 * w;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        y[(p * oh + i) * ow + j] = x[(p * h + nearest2x_source(i)) * w + nearest2x_source(j)];
}

template <class T>
void upsample_nearest2x_backward(const T* grad_out, int64_t planes, int64_t h, int64_t w,
                                 T* grad_x) {
  const int64_t ow = 2 * w;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        const T* g = grad_out + (p * 2 * h + 2 * i) * ow + 2 * j;
        grad_x[(p * h + i) * w + j] = g[0] + g[1] + g[ow] + g[ow + 1];
      }
}

template <class T>
void resize_bilinear_forward(const T* x, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                             int64_t out_w, bool align_corners, T* y) {
  const std::vector<LinearTap<T>> taps_h = axis_taps<T>(in_h, out_h, align_corners);
  const std::vector<LinearTap<T>> taps_w = axis_taps<T>(in_w, out_w, align_corners);
  for (int64_t p = 0; p < planes; ++p) {
    const T* src = x + p * in_h * in_w;
    for (int64_t i = 0; i < out_h; ++i) {
      const LinearTap<T>& th = taps_h[i];
      for (int64_t j = 0; j < out_w; ++j) {
        const LinearTap<T>& tw = taps_w[j];
        y[(p * out_h + i) * out_w + j] =
            th.w0 * (tw.w0 * src[th.i0 * in_w + tw.i0] + tw.w1 * src[th.i0 * in_w + tw.i1]) +
            th.w1 * (tw.w0 * src[th.i1 * in_w + tw.i0] + tw.w1 * src[th.i1 * in_w + tw.i1]);
      }
    }
  }
}

template <class T>
void resize_bilinear_backward(const T* grad_out, int64_t planes, int64_t in_h, int64_t in_w,
                              int64_t out_h, int64_t out_w, bool align_corners, T* grad_x) {
  std::fill(grad_x, grad_x + planes * in_h * in_w, T(0));
  const std::vector<LinearTap<T>> taps_h = axis_taps<T>(in_h, out_h, align_corners);
  const std::vector<LinearTap<T>> taps_w = axis_taps<T>(in_w, out_w, align_corners);
  for (int64_t p = 0; p < planes; ++p) {
    T* dst = grad_x + p * in_h * in_w;
    for (int64_t i = 0; i < out_h; ++i) {
      const LinearTap<T>& th = taps_h[i];
      for (int64_t j = 0; j < out_w; ++j) {
        const LinearTap<T>& tw = taps_w[j];
        const T g = grad_out[(p * out_h + i) * out_w + j];
        dst[th.i0 * in_w + tw.i0] += th.w0 * tw.w0 * g;
        dst[th.i0 * in_w + tw.i1] += th.w0 * tw.w1 * g;
        dst[th.i1 * in_w + tw.i0] += th.w1 * tw.w0 * g;
        dst[th.i1 * in_w + tw.i1] += th.w1 * tw.w1 * g;
      }
    }
  }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void upsample_nearest2x_forward(const void* x, DType dtype, int64_t planes, int64_t h, int64_t w,
                                void* y, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "upsample_nearest2x_forward", [&] {
    upsample_nearest2x_forward<scalar_t>(typed<scalar_t>(x), planes, h, w, typed<scalar_t>(y));
  });
}

void upsample_nearest2x_backward(const void* grad_out, DType dtype, int64_t planes, int64_t h,
                                 int64_t w, void* grad_x, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "upsample_nearest2x_backward", [&] {
    upsample_nearest2x_backward<scalar_t>(typed<scalar_t>(grad_out), planes, h, w,
                                          typed<scalar_t>(grad_x));
  });
}

void resize_bilinear_forward(const void* x, DType dtype, int64_t planes, int64_t in_h, int64_t in_w,
                             int64_t outh, int64_t outw, bool align_corners, void* y,
                             const Context&) {
  CROMSS_CPU_FLOAT(dtype, "resize_bilinear_forward", [&] {
    resize_bilinear_forward<scalar_t>(typed<scalar_t>(x), planes, in_h, in_w, outh, outw,
                                      align_corners, typed<scalar_t>(y));
  });
}

void resize_bilinear_backward(const void* grad_out, DType dtype, int64_t planes, int64_t in_h,
                              int64_t in_w, int64_t outh, int64_t outw, bool align_corners,
                              void* grad_x, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "resize_bilinear_backward", [&] {
    resize_bilinear_backward<scalar_t>(typed<scalar_t>(grad_out), planes, in_h, in_w, outh, outw,
                                       align_corners, typed<scalar_t>(grad_x));
  });
}

}  // namespace cromss::cpu_kernels
