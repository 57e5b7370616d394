// Geometry of one 2-D convolution and the im2col/col2im index math, shared by the CPU reference
// (kernels/cpu/conv2d.cpp) and any CUDA kernel that needs it (__host__ __device__ via CROMSS_HD).
//
// Layouts (`format`, core/memory_format.h): x (N, C, H, W) and y (N, K, OH, OW) are dense in
// that format; the weight buffer the kernels see is (K, C/groups, kh, kw) row-major ("KCRS")
// for nchw and (K, kh, kw, C/groups) ("KRSC", oneDNN ohwi, cuDNN's NHWC filter) for nhwc, the
// layout tensor-core NHWC convolutions read. x_offset / y_offset / weight_offset spell them out.
// The column matrix of one sample and one group has (C/groups)*kh*kw rows, ordered like one
// filter's elements (weight_offset(0, c, i, j): (c, i, j) for nchw, (i, j, c) for nhwc), and
// OH*OW columns, ordered (oh, ow), so y_g = W_g * col is one GEMM in both formats. Column
// (oh, ow) of row (c, i, j) reads input pixel (h, w) with h = conv_input_coord(oh, i, ...),
// w = conv_input_coord(ow, j, ...), or zero in the padding.
#pragma once

#include <cstdint>

#include "core/hd.h"
#include "core/memory_format.h"

namespace cromss {

struct Conv2dGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t k = 0, kh = 0, kw = 0;       // output channels, kernel size
  int64_t oh = 0, ow = 0;              // output size
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  MemoryFormat format = MemoryFormat::nchw;  // of x, y and (KCRS / KRSC) the weight buffer

  CROMSS_HD int64_t c_per_group() const { return c / groups; }
  CROMSS_HD int64_t k_per_group() const { return k / groups; }
  CROMSS_HD int64_t col_rows() const { return c_per_group() * kh * kw; }
  CROMSS_HD int64_t col_cols() const { return oh * ow; }
  // A 1x1 kernel with unit stride and no padding reads x itself as its column matrix.
  CROMSS_HD bool is_pointwise() const {
    return kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0;
  }
  // Element offsets of x (n, c, h, w), y (n, k, oh, ow) and the weight (k, c, i, j), c counted
  // within k's group.
  CROMSS_HD int64_t x_offset(int64_t sample, int64_t channel, int64_t row, int64_t col) const {
    return dense_offset(format, sample, channel, row, col, c, h, w);
  }
  CROMSS_HD int64_t y_offset(int64_t sample, int64_t filter, int64_t row, int64_t col) const {
    return dense_offset(format, sample, filter, row, col, k, oh, ow);
  }
  CROMSS_HD int64_t weight_offset(int64_t filter, int64_t channel, int64_t i, int64_t j) const {
    return format == MemoryFormat::nhwc ? ((filter * kh + i) * kw + j) * c_per_group() + channel
                                        : ((filter * c_per_group() + channel) * kh + i) * kw + j;
  }
  // y (and grad_y) seen per output channel (core/memory_format.h): the bias and its gradient.
  CROMSS_HD ChannelView y_channels() const { return channel_view(format, n, k, oh * ow); }
  // Multiply-adds of one forward pass (the backward costs twice that).
  CROMSS_HD int64_t macs() const { return n * k * oh * ow * col_rows(); }
};

// Input row/column read by output row `o` through kernel tap `t` (may lie in the padding).
CROMSS_HD int64_t conv_input_coord(int64_t o, int64_t t, int64_t stride, int64_t pad,
                                   int64_t dilation) {
  return o * stride - pad + t * dilation;
}

}  // namespace cromss
