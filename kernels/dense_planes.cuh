// A dense (N, C, H, W) tensor in either memory format seen as N*C planes of H*W pixels, for the
// spatial kernels (pooling, resize) and the mask of dropout. Plane p = n*C + c; pixel s = h*W + w.
// In nchw a plane is contiguous (pixel stride 1); in nhwc its pixels lie C elements apart. The
// offsets come from dense_offset (core/memory_format.h), so the CPU reference loops and the CUDA
// kernels, which both call these helpers, serve the two layouts with one piece of index math.
#pragma once

#include <cstdint>

#include "core/hd.h"
#include "core/memory_format.h"

namespace cromss {

struct DensePlanes {
  MemoryFormat format = MemoryFormat::nchw;
  int64_t n = 0, c = 0, h = 0, w = 0;

  CROMSS_HD int64_t planes() const { return n * c; }
  CROMSS_HD int64_t pixels() const { return h * w; }
  CROMSS_HD int64_t numel() const { return n * c * h * w; }
  // The same planes at another height and width (the other side of a resize or pool).
  CROMSS_HD DensePlanes resized(int64_t height, int64_t width) const {
    return {format, n, c, height, width};
  }
  // Offset of pixel 0 of plane p, and the distance between neighbouring pixels of one plane.
  CROMSS_HD int64_t plane_base(int64_t p) const {
    return dense_offset(format, p / c, p % c, 0, 0, c, h, w);
  }
  CROMSS_HD int64_t pixel_stride() const { return format == MemoryFormat::nhwc ? c : 1; }
  CROMSS_HD int64_t offset(int64_t p, int64_t s) const {
    return plane_base(p) + s * pixel_stride();
  }
  // Plane and pixel of the element at memory offset i (the inverse of offset).
  CROMSS_HD void locate(int64_t i, int64_t* p, int64_t* s) const {
    if (format == MemoryFormat::nhwc) {
      const int64_t rest = i / c;  // n*H*W + s
      *s = rest % (h * w);
      *p = rest / (h * w) * c + i % c;
    } else {
      *p = i / (h * w);
      *s = i % (h * w);
    }
  }
  // Row-major (nchw) index of the element at memory offset i: the same element in both formats.
  CROMSS_HD int64_t logical_index(int64_t i) const {
    if (format == MemoryFormat::nchw) return i;
    int64_t p = 0, s = 0;
    locate(i, &p, &s);
    return p * h * w + s;
  }
};

}  // namespace cromss
