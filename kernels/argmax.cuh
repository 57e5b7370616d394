// Per-pixel class argmax of NCHW logits (validation predictions, PNG panels), written once for
// the CPU reference and the CUDA kernel: the FIRST index of the largest value (torch.argmax's
// tie rule; a NaN counts as the largest value, as in torch.argmax, so the first NaN wins).
#pragma once

#include <stdint.h>

#include "core/hd.h"

namespace cromss {

// x points at class 0 of one pixel; classes are `stride` elements apart. Load converts an
// element to float/double (identity on the CPU, load<T> for bf16/f16 on the device).
template <class T, class Load>
CROMSS_HD uint8_t argmax_pixel(const T* x, int64_t stride, int classes, Load load) {
  int best = 0;
  auto best_value = load(x, 0);
  for (int c = 1; c < classes; ++c) {
    const auto v = load(x, c * stride);
    if (v > best_value || (v != v && best_value == best_value)) {
      best = c;
      best_value = v;
    }
  }
  return static_cast<uint8_t>(best);
}

}  // namespace cromss
