// CPU reference of the convolution kernels (see kernels/conv2d.h): im2col + the reference GEMM
// (kernels/cpu/matmul.cpp) per sample and per group, in both memory formats: x, y and the weight
// are read through the geometry's offsets (kernels/conv2d.cuh), and nhwc output blocks go
// through a scratch matrix, while nchw keeps its copy-free path. It serves f64 (the gradient
// checks) and is the reference the f32 production path on oneDNN (kernels/onednn/) is tested
// against. Every reduction runs in one fixed order, so results do not depend on the OpenMP thread
// count.
#include <algorithm>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/cpu/float_dispatch.h"
#include "kernels/matmul.h"
#include "kernels/onednn/onednn.h"

namespace cromss::cpu_kernels {
namespace {

// Calls f(q, h, w) for every output pixel q = oh*OW + ow whose tap (i, j) reads the in-bounds
// input pixel (h, w); taps that read padding are skipped.
template <class F>
void for_each_tap_pixel(const Conv2dGeometry& g, int64_t i, int64_t j, F&& f) {
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    const int64_t h = conv_input_coord(oh, i, g.stride_h, g.pad_h, g.dilation_h);
    if (h < 0 || h >= g.h) continue;
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const int64_t w = conv_input_coord(ow, j, g.stride_w, g.pad_w, g.dilation_w);
      if (w >= 0 && w < g.w) f(oh * g.ow + ow, h, w);
    }
  }
}

// Row (c, i, j) of the column matrix: rows follow one filter's layout (kernels/conv2d.cuh).
template <class T>
T* col_row(const Conv2dGeometry& g, T* col, int64_t c, int64_t i, int64_t j) {
  return col + g.weight_offset(0, c, i, j) * g.col_cols();
}

// col (col_rows x col_cols) of the C/groups channels of sample n and group grp.
template <class T>
void im2col(const Conv2dGeometry& g, const T* x, int64_t n, int64_t grp, T* col) {
  const int64_t c0 = grp * g.c_per_group();
  for (int64_t c = 0; c < g.c_per_group(); ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col_row(g, col, c, i, j);
        std::fill(row, row + g.col_cols(), T(0));
        for_each_tap_pixel(g, i, j, [&](int64_t q, int64_t h, int64_t w) {
          row[q] = x[g.x_offset(n, c0 + c, h, w)];
        });
      }
}

// Adds every column element back into the input pixel it was read from (the adjoint of im2col).
template <class T>
void col2im_add(const Conv2dGeometry& g, const T* col, int64_t n, int64_t grp, T* x) {
  const int64_t c0 = grp * g.c_per_group();
  for (int64_t c = 0; c < g.c_per_group(); ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col_row(g, col, c, i, j);
        for_each_tap_pixel(g, i, j, [&](int64_t q, int64_t h, int64_t w) {
          x[g.x_offset(n, c0 + c, h, w)] += row[q];
        });
      }
}

// The GEMM operands that are plain matrices only in nchw. In nchw the (K/groups x OH*OW) output
// block of sample n and group grp lies in y as is, and a pointwise kernel's column matrix is the
// (C/groups x H*W) input block itself (the fast path: no copies). In nhwc both are strided, so
// output blocks are copied through a scratch matrix and every kernel goes through im2col.
bool x_is_col(const Conv2dGeometry& g) {
  return g.is_pointwise() && g.format == MemoryFormat::nchw;
}

// The column matrix of sample n and group grp: x's own block when x_is_col, else im2col'd into col.
template <class T>
const T* columns(const Conv2dGeometry& g, const T* x, int64_t n, int64_t grp, std::vector<T>& col) {
  if (x_is_col(g)) return x + (n * g.c + grp * g.c_per_group()) * g.h * g.w;
  col.resize(g.col_rows() * g.col_cols());
  im2col(g, x, n, grp, col.data());
  return col.data();
}

// Offset of the output block of sample n and group grp in an nchw y.
int64_t nchw_block_offset(const Conv2dGeometry& g, int64_t n, int64_t grp) {
  return (n * g.k + grp * g.k_per_group()) * g.col_cols();
}

// Calls f(block element, y element) for the output block of sample n and group grp.
template <class T, class F>
void for_each_block_element(const Conv2dGeometry& g, T* y, int64_t n, int64_t grp, F&& f) {
  const int64_t k0 = grp * g.k_per_group();
  for (int64_t k = 0; k < g.k_per_group(); ++k)
    for (int64_t q = 0; q < g.col_cols(); ++q)
      f(k * g.col_cols() + q, y[g.y_offset(n, k0 + k, q / g.ow, q % g.ow)]);
}

// Where the GEMM writes the output block (write_output_block then stores it in y).
template <class T>
T* output_block(const Conv2dGeometry& g, T* y, int64_t n, int64_t grp, std::vector<T>& scratch) {
  if (g.format == MemoryFormat::nchw) return y + nchw_block_offset(g, n, grp);
  scratch.resize(g.k_per_group() * g.col_cols());
  return scratch.data();
}

template <class T>
void write_output_block(const Conv2dGeometry& g, const T* block, int64_t n, int64_t grp, T* y) {
  if (g.format == MemoryFormat::nhwc)
    for_each_block_element(g, y, n, grp, [&](int64_t e, T& v) { v = block[e]; });
}

// grad_y's block of sample n and group grp as a plain matrix.
template <class T>
const T* read_output_block(const Conv2dGeometry& g, const T* y, int64_t n, int64_t grp,
                           std::vector<T>& scratch) {
  if (g.format == MemoryFormat::nchw) return y + nchw_block_offset(g, n, grp);
  scratch.resize(g.k_per_group() * g.col_cols());
  for_each_block_element(g, y, n, grp, [&](int64_t e, const T& v) { scratch[e] = v; });
  return scratch.data();
}

}  // namespace

template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  const int64_t kg = g.k_per_group(), rows = g.col_rows(), cols = g.col_cols();
  std::vector<T> col, scratch;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      T* yg = output_block(g, y, n, grp, scratch);
      gemm(false, false, kg, cols, rows, weight + grp * kg * rows, columns(g, x, n, grp, col), yg);
      write_output_block(g, yg, n, grp, y);
    }
  if (!bias) return;
  const ChannelView v = g.y_channels();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t k = 0; k < g.k; ++k)
      for (int64_t i = 0; i < v.inner; ++i) y[v.offset(o, k, i)] += bias[k];
}

template <class T>
void conv2d_backward_input(const Conv2dGeometry& g, const T* grad_y, const T* weight, T* grad_x) {
  const int64_t kg = g.k_per_group(), rows = g.col_rows(), cols = g.col_cols();
  std::vector<T> col(x_is_col(g) ? 0 : rows * cols), scratch;
  std::fill(grad_x, grad_x + g.n * g.c * g.h * g.w, T(0));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const T* dyg = read_output_block(g, grad_y, n, grp, scratch);
      // col = W_g^T * dy_g; when x is its own column matrix, col is grad_x itself.
      T* c = x_is_col(g) ? grad_x + (n * g.c + grp * g.c_per_group()) * g.h * g.w : col.data();
      gemm(true, false, rows, cols, kg, weight + grp * kg * rows, dyg, c);
      if (!x_is_col(g)) col2im_add(g, col.data(), n, grp, grad_x);
    }
}

template <class T>
void conv2d_backward_weight(const Conv2dGeometry& g, const T* x, const T* grad_y, T* grad_weight) {
  const int64_t kg = g.k_per_group(), rows = g.col_rows(), cols = g.col_cols();
  std::vector<T> col, partial(kg * rows), scratch;
  // dW_g = sum over samples n, in order, of dy_g * col^T.
  std::fill(grad_weight, grad_weight + g.k * rows, T(0));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const T* dyg = read_output_block(g, grad_y, n, grp, scratch);
      gemm(false, true, kg, rows, cols, dyg, columns(g, x, n, grp, col), partial.data());
      T* dwg = grad_weight + grp * kg * rows;
      for (int64_t e = 0; e < kg * rows; ++e) dwg[e] += partial[e];
    }
}

template <class T>
void conv2d_backward_bias(const Conv2dGeometry& g, const T* grad_y, T* grad_bias) {
  const ChannelView v = g.y_channels();
  for (int64_t k = 0; k < g.k; ++k) {
    T acc = 0;
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) acc += grad_y[v.offset(o, k, i)];
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
