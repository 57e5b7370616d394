// Key of the cuDNN algorithm cache (kernels/cuda/conv2d_cudnn.cpp): every property that can
// change which algorithm is valid or fastest - device, dtype, direction, memory format (of x, y
// and the filter), all input dims and strides, output channels, kernel size, padding, stride,
// dilation and groups - and whether the choice had to be deterministic (--deterministic: heuristic
// choice among deterministic algorithms; otherwise the fastest measured one,
// kernels/conv2d_algo_cache.h). Two convolutions share a cached algorithm only if every field
// matches. Plain C++17 so that it is unit-tested without CUDA (tests/cpu/conv2d_algo_key_test.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "kernels/conv2d.cuh"

namespace cromss {

enum class ConvDirection : int { forward, backward_data, backward_filter };

struct Conv2dAlgoKey {
  int64_t device = 0, dtype = 0, direction = 0, format = 0;
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::array<int64_t, 4> x_strides{};
  int64_t k = 0, kh = 0, kw = 0;
  int64_t pad_h = 0, pad_w = 0, stride_h = 0, stride_w = 0, dilation_h = 0, dilation_w = 0;
  int64_t groups = 0;
  int64_t deterministic = 0;

  static constexpr size_t kFields = 23;
  std::array<int64_t, kFields> fields() const {
    return {device,
            dtype,
            direction,
            format,
            n,
            c,
            h,
            w,
            x_strides[0],
            x_strides[1],
            x_strides[2],
            x_strides[3],
            k,
            kh,
            kw,
            pad_h,
            pad_w,
            stride_h,
            stride_w,
            dilation_h,
            dilation_w,
            groups,
            deterministic};
  }
  bool operator==(const Conv2dAlgoKey& o) const { return fields() == o.fields(); }
  bool operator!=(const Conv2dAlgoKey& o) const { return !(*this == o); }
};

// Key of a convolution over a dense input in g.format; `deterministic`: --deterministic is on.
inline Conv2dAlgoKey make_conv2d_algo_key(const Conv2dGeometry& g, DType dtype,
                                          ConvDirection direction, int device, bool deterministic) {
  Conv2dAlgoKey key;
  key.device = device;
  key.dtype = static_cast<int64_t>(dtype);
  key.direction = static_cast<int64_t>(direction);
  key.format = static_cast<int64_t>(g.format);
  key.n = g.n, key.c = g.c, key.h = g.h, key.w = g.w;
  key.x_strides = g.format == MemoryFormat::nhwc
                      ? std::array<int64_t, 4>{g.h * g.w * g.c, 1, g.w * g.c, g.c}
                      : std::array<int64_t, 4>{g.c * g.h * g.w, g.h * g.w, g.w, 1};
  key.k = g.k, key.kh = g.kh, key.kw = g.kw;
  key.pad_h = g.pad_h, key.pad_w = g.pad_w;
  key.stride_h = g.stride_h, key.stride_w = g.stride_w;
  key.dilation_h = g.dilation_h, key.dilation_w = g.dilation_w;
  key.groups = g.groups;
  key.deterministic = deterministic ? 1 : 0;
  return key;
}

struct Conv2dAlgoKeyHash {
  size_t operator()(const Conv2dAlgoKey& key) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the fields' bytes
    for (int64_t f : key.fields()) {
      for (int b = 0; b < 8; ++b) {
        h ^= (static_cast<uint64_t>(f) >> (8 * b)) & 0xff;
        h *= 1099511628211ull;
      }
    }
    return static_cast<size_t>(h);
  }
};

}  // namespace cromss
