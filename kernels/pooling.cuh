// Index math of max pooling and adaptive average pooling on one (H, W) plane, shared by the CPU
// reference (kernels/cpu/pooling.cpp) and the CUDA kernels (kernels/cuda/pooling.cu). Input and
// output are dense in the geometry's memory format; their planes are reached through
// DensePlanes (kernels/dense_planes.cuh), so both backends serve nchw and nhwc.
//
// Max pool (PyTorch, ceil_mode off, dilation 1): output row o covers input rows
// [o*stride - pad, o*stride - pad + kernel) clipped to the image, so padded cells never win;
// the scan is row-major and a later cell wins only if strictly greater (first maximum wins) or
// NaN (NaN propagates). Adaptive average pool (PyTorch's bins): output row o averages input rows
// [floor(o*in/out), ceil((o+1)*in/out)); bins may overlap.
#pragma once

#include <cstdint>

#include "core/hd.h"
#include "kernels/dense_planes.cuh"

namespace cromss {

struct PoolGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0, oh = 0, ow = 0;
  int64_t kernel = 1, stride = 1, pad = 0;   // max pool only
  MemoryFormat format = MemoryFormat::nchw;  // of input, output (and max pool's indices)
  CROMSS_HD int64_t planes() const { return n * c; }
  CROMSS_HD DensePlanes input() const { return {format, n, c, h, w}; }
  CROMSS_HD DensePlanes output() const { return {format, n, c, oh, ow}; }
};

CROMSS_HD int64_t max_pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

// First and one-past-last input row of the window of output row o, clipped to [0, in).
CROMSS_HD int64_t pool_window_begin(int64_t o, int64_t stride, int64_t pad) {
  const int64_t b = o * stride - pad;
  return b < 0 ? 0 : b;
}
CROMSS_HD int64_t pool_window_end(int64_t o, int64_t kernel, int64_t stride, int64_t pad,
                                  int64_t in) {
  const int64_t e = o * stride - pad + kernel;
  return e > in ? in : e;
}

// Range [first, last] of the output rows whose window holds input row i (empty if first > last).
CROMSS_HD int64_t pool_first_output(int64_t i, int64_t kernel, int64_t stride, int64_t pad) {
  const int64_t lowest = i + pad - kernel + 1;  // smallest o*stride that still reaches i
  return lowest <= 0 ? 0 : (lowest + stride - 1) / stride;
}
CROMSS_HD int64_t pool_last_output(int64_t i, int64_t stride, int64_t pad, int64_t out) {
  const int64_t last = (i + pad) / stride;
  return last < out - 1 ? last : out - 1;
}

// Max over the window of output (oh, ow); load(s) reads plane element s = h*W + w. Returns the
// winning value and its plane index in *index.
template <class A, class Load>
CROMSS_HD A max_pool_cell(const PoolGeometry& g, int64_t oh, int64_t ow, Load load,
                          int64_t* index) {
  const int64_t h0 = pool_window_begin(oh, g.stride, g.pad),
                h1 = pool_window_end(oh, g.kernel, g.stride, g.pad, g.h);
  const int64_t w0 = pool_window_begin(ow, g.stride, g.pad),
                w1 = pool_window_end(ow, g.kernel, g.stride, g.pad, g.w);
  int64_t best_index = h0 * g.w + w0;
  A best = load(best_index);
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) {
      const A v = load(h * g.w + w);
      if (v > best || v != v) {
        best = v;
        best_index = h * g.w + w;
      }
    }
  *index = best_index;
  return best;
}

// Adaptive bin [begin, end) of output row o for `in` input rows and `out` output rows.
CROMSS_HD int64_t adaptive_bin_begin(int64_t o, int64_t in, int64_t out) {
  return o * in / out;
}
CROMSS_HD int64_t adaptive_bin_end(int64_t o, int64_t in, int64_t out) {
  return ((o + 1) * in + out - 1) / out;
}
// Output rows [first, end) whose bins hold input row i: exactly floor(i*out/in) up to
// ceil((i+1)*out/in), by inverting the two bin inequalities.
CROMSS_HD int64_t adaptive_first_output(int64_t i, int64_t in, int64_t out) {
  return i * out / in;
}
CROMSS_HD int64_t adaptive_end_output(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * out + in - 1) / in;
}

}  // namespace cromss
