// CPU reference of the convolution kernels (see kernels/conv2d.h): im2col + the reference GEMM
// (kernels/cpu/matmul.cpp) per sample and per group. It serves f64 (the gradient checks) and is
// the reference the f32 production path on oneDNN (kernels/onednn/) is tested against. Every
// reduction runs in one fixed order, so results do not depend on the OpenMP thread count.
#include <algorithm>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/cpu/float_dispatch.h"
#include "kernels/matmul.h"
#include "kernels/onednn/onednn.h"

namespace cromss::cpu_kernels {
namespace {

// Calls f(q, s) for every output pixel q = oh*OW + ow whose tap (i, j) reads the in-bounds
// input pixel s = h*W + w of one plane; taps that read padding are skipped.
template <class F>
void for_each_tap_pixel(const Conv2dGeometry& g, int64_t i, int64_t j, F&& f) {
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    const int64_t h = conv_input_coord(oh, i, g.stride_h, g.pad_h, g.dilation_h);
    if (h < 0 || h >= g.h) continue;
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const int64_t w = conv_input_coord(ow, j, g.stride_w, g.pad_w, g.dilation_w);
      if (w >= 0 && w < g.w) f(oh * g.ow + ow, h * g.w + w);
    }
  }
}

// col (col_rows x col_cols) of the C/groups channels of one sample and group starting at x.
template <class T>
void im2col(const Conv2dGeometry& g, const T* x, T* col) {
  const int64_t cols = g.col_cols(), plane = g.h * g.w;
  for (int64_t c = 0; c < g.c_per_group(); ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * cols;
        const T* src = x + c * plane;
        std::fill(row, row + cols, T(0));
        for_each_tap_pixel(g, i, j, [&](int64_t q, int64_t s) { row[q] = src[s]; });
      }
}

// Adds every column element back into the input pixel it was read from (the adjoint of im2col).
template <class T>
void col2im_add(const Conv2dGeometry& g, const T* col, T* x) {
  const int64_t cols = g.col_cols(), plane = g.h * g.w;
  for (int64_t c = 0; c < g.c_per_group(); ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * cols;
        T* dst = x + c * plane;
        for_each_tap_pixel(g, i, j, [&](int64_t q, int64_t s) { dst[s] += row[q]; });
      }
}

}  // namespace

template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  const int64_t cg = g.c_per_group(), kg = g.k_per_group(), rows = g.col_rows(),
                cols = g.col_cols();
  std::vector<T> col(g.is_pointwise() ? 0 : rows * cols);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const T* xg = x + (n * g.c + grp * cg) * g.h * g.w;
      T* yg = y + (n * g.k + grp * kg) * cols;
      const T* b = xg;
      if (!g.is_pointwise()) {
        im2col(g, xg, col.data());
        b = col.data();
      }
      gemm(false, false, kg, cols, rows, weight + grp * kg * rows, b, yg);
    }
  if (!bias) return;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t k = 0; k < g.k; ++k) {
      T* yk = y + (n * g.k + k) * cols;
      for (int64_t q = 0; q < cols; ++q) yk[q] += bias[k];
    }
}

template <class T>
void conv2d_backward_input(const Conv2dGeometry& g, const T* grad_y, const T* weight, T* grad_x) {
  const int64_t cg = g.c_per_group(), kg = g.k_per_group(), rows = g.col_rows(),
                cols = g.col_cols();
  std::vector<T> col(g.is_pointwise() ? 0 : rows * cols);
  std::fill(grad_x, grad_x + g.n * g.c * g.h * g.w, T(0));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      T* dxg = grad_x + (n * g.c + grp * cg) * g.h * g.w;
      const T* dyg = grad_y + (n * g.k + grp * kg) * cols;
      // col = W_g^T * dy_g; for a pointwise kernel col is grad_x itself.
      T* c = g.is_pointwise() ? dxg : col.data();
      gemm(true, false, rows, cols, kg, weight + grp * kg * rows, dyg, c);
      if (!g.is_pointwise()) col2im_add(g, col.data(), dxg);
    }
}

template <class T>
void conv2d_backward_weight(const Conv2dGeometry& g, const T* x, const T* grad_y, T* grad_weight) {
  const int64_t cg = g.c_per_group(), kg = g.k_per_group(), rows = g.col_rows(),
                cols = g.col_cols();
  std::vector<T> col(g.is_pointwise() ? 0 : rows * cols), partial(kg * rows);
  // dW_g = sum over samples n, in order, of dy_g * col^T.
  std::fill(grad_weight, grad_weight + g.k * rows, T(0));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const T* xg = x + (n * g.c + grp * cg) * g.h * g.w;
      const T* dyg = grad_y + (n * g.k + grp * kg) * cols;
      const T* b = xg;
      if (!g.is_pointwise()) {
        im2col(g, xg, col.data());
        b = col.data();
      }
      gemm(false, true, kg, rows, cols, dyg, b, partial.data());
      T* dwg = grad_weight + grp * kg * rows;
      for (int64_t e = 0; e < kg * rows; ++e) dwg[e] += partial[e];
    }
}

template <class T>
void conv2d_backward_bias(const Conv2dGeometry& g, const T* grad_y, T* grad_bias) {
  const int64_t cols = g.col_cols();
  for (int64_t k = 0; k < g.k; ++k) {
    T acc = 0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* dyk = grad_y + (n * g.k + k) * cols;
      for (int64_t q = 0; q < cols; ++q) acc += dyk[q];
    }
    grad_bias[k] = acc;
  }
}

#define INSTANTIATE(T)                                                                      \
  template void conv2d_forward<T>(const Conv2dGeometry&, const T*, const T*, const T*, T*); \
  template void conv2d_backward_input<T>(const Conv2dGeometry&, const T*, const T*, T*);    \
  template void conv2d_backward_weight<T>(const Conv2dGeometry&, const T*, const T*, T*);   \
  template void conv2d_backward_bias<T>(const Conv2dGeometry&, const T*, T*);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE

// The kernels' CPU entries (kernels/kernel_table.h): oneDNN for f32 (kernels/onednn/), the typed
// reference above for f64.

void conv2d_forward(const Conv2dGeometry& g, const void* x, const void* weight, const void* bias,
                    void* y, DType dtype, const Context&) {
  if (dtype == DType::f32)
    return onednn_kernels::conv2d_forward(g, typed<float>(x), typed<float>(weight),
                                          typed<float>(bias), typed<float>(y));
  CROMSS_CPU_FLOAT(dtype, "conv2d_forward", [&] {
    conv2d_forward<scalar_t>(g, typed<scalar_t>(x), typed<scalar_t>(weight), typed<scalar_t>(bias),
                             typed<scalar_t>(y));
  });
}

void conv2d_backward_input(const Conv2dGeometry& g, const void* grad_y, const void* weight,
                           void* grad_x, DType dtype, const Context&) {
  if (dtype == DType::f32)
    return onednn_kernels::conv2d_backward_input(g, typed<float>(grad_y), typed<float>(weight),
                                                 typed<float>(grad_x));
  CROMSS_CPU_FLOAT(dtype, "conv2d_backward_input", [&] {
    conv2d_backward_input<scalar_t>(g, typed<scalar_t>(grad_y), typed<scalar_t>(weight),
                                    typed<scalar_t>(grad_x));
  });
}

void conv2d_backward_weight(const Conv2dGeometry& g, const void* x, const void* grad_y,
                            void* grad_weight, DType dtype, const Context&) {
  if (dtype == DType::f32)
    return onednn_kernels::conv2d_backward_weight(g, typed<float>(x), typed<float>(grad_y),
                                                  typed<float>(grad_weight));
  CROMSS_CPU_FLOAT(dtype, "conv2d_backward_weight", [&] {
    conv2d_backward_weight<scalar_t>(g, typed<scalar_t>(x), typed<scalar_t>(grad_y),
                                     typed<scalar_t>(grad_weight));
  });
}

void conv2d_backward_bias(const Conv2dGeometry& g, const void* grad_y, void* grad_bias, DType dtype,
                          const Context&) {
  if (dtype == DType::f32)
    return onednn_kernels::conv2d_backward_bias(g, typed<float>(grad_y), typed<float>(grad_bias));
  CROMSS_CPU_FLOAT(dtype, "conv2d_backward_bias", [&] {
    conv2d_backward_bias<scalar_t>(g, typed<scalar_t>(grad_y), typed<scalar_t>(grad_bias));
  });
}

}  // namespace cromss::cpu_kernels
