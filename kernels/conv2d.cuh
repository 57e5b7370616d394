// Geometry of one 2-D convolution and the im2col/col2im index math, shared by the CPU reference
// (kernels/cpu/conv2d.cpp) and any CUDA kernel that needs it (__host__ __device__ via CROMSS_HD).
//
// Layouts: x (N, C, H, W), weight (K, C/groups, kh, kw), y (N, K, OH, OW), all contiguous.
// The column matrix of one sample and one group has (C/groups)*kh*kw rows, ordered (c, i, j)
// like the weight's inner dims, and OH*OW columns, ordered (oh, ow) like y's spatial dims, so
// y_g = W_g * col is one GEMM. Column (oh, ow) of row (c, i, j) reads input pixel (h, w) with
// h = conv_input_coord(oh, i, ...), w = conv_input_coord(ow, j, ...), or zero in the padding.
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace cromss {

struct Conv2dGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t k = 0, kh = 0, kw = 0;       // output channels, kernel size
  int64_t oh = 0, ow = 0;              // output size
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;

  CROMSS_HD int64_t c_per_group() const { return c / groups; }
  CROMSS_HD int64_t k_per_group() const { return k / groups; }
  CROMSS_HD int64_t col_rows() const { return c_per_group() * kh * kw; }
  CROMSS_HD int64_t col_cols() const { return oh * ow; }
  // A 1x1 kernel with unit stride and no padding reads x itself as its column matrix.
  CROMSS_HD bool is_pointwise() const {
    return kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0;
  }
  // Multiply-adds of one forward pass (the backward costs twice that).
  CROMSS_HD int64_t macs() const { return n * k * oh * ow * col_rows(); }
};

// Input row/column read by output row `o` through kernel tap `t` (may lie in the padding).
CROMSS_HD int64_t conv_input_coord(int64_t o, int64_t t, int64_t stride, int64_t pad,
                                   int64_t dilation) {
  return o * stride - pad + t * dilation;
}

}  // namespace cromss
