// Source-coordinate math of the resize ops, shared by the CPU reference loops
// (kernels/cpu/resize.cpp) and the CUDA kernels (kernels/cuda/resize.cu). It follows
// torch.nn.functional.interpolate (aten/src/ATen/native/UpSample.h) for sizes given explicitly:
//   scale = align_corners ? (in - 1) / (out - 1) (0 when out == 1) : in / out
//   src   = align_corners ? scale * dst : max(scale * (dst + 0.5) - 0.5, 0)
//   i0 = floor(src), i1 = min(i0 + 1, in - 1), weights (1 - frac, frac).
// A is the coordinate type: float for f32/bf16/f16 data, double for f64 (as torch's opmath).
// Coordinates are rounded identically on both backends: the device path uses the _rn intrinsics,
// which nvcc never contracts into an FMA. (A one-ulp coordinate difference, times the slope of
// the image, would otherwise show up as a backend difference well above the f32 tolerance.)
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace cromss {

template <class A>
struct LinearTap {
  int64_t i0, i1;  // the two source indices (equal at the upper border)
  A w0, w1;        // their weights, w0 + w1 = 1
};

CROMSS_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
CROMSS_HD double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

template <class A>
CROMSS_HD A bilinear_scale(int64_t in_size, int64_t out_size, bool align_corners) {
  if (align_corners) return out_size > 1 ? A(in_size - 1) / A(out_size - 1) : A(0);
  return A(in_size) / A(out_size);
}

template <class A>
CROMSS_HD LinearTap<A> bilinear_tap(int64_t dst, int64_t in_size, A scale, bool align_corners) {
  A src = align_corners ? mul_rn(scale, A(dst)) : mul_rn(scale, A(dst) + A(0.5)) - A(0.5);
  if (src < A(0)) src = A(0);
  int64_t i0 = static_cast<int64_t>(src);
  if (i0 > in_size - 1) i0 = in_size - 1;
  int64_t i1 = i0 < in_size - 1 ? i0 + 1 : i0;
  A w1 = src - A(i0);
  return {i0, i1, A(1) - w1, w1};
}

// Nearest-neighbour x2: output pixel dst reads source pixel dst / 2.
CROMSS_HD int64_t nearest2x_source(int64_t dst) {
  return dst / 2;
}

}  // namespace cromss
