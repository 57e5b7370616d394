// Per-pixel math of confusion-matrix accumulation, shared by the CPU reference
// (kernels/cpu/confusion.cpp) and the CUDA kernel (kernels/cuda/confusion.cu).
// The matrix is row-major [n_classes x n_classes], row = target (label), column = prediction,
// plus one trailing counter of pixels whose target or prediction is out of range (neither the
// ignore index nor in [0, n_classes)) so callers can report bad labels instead of dropping them.
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace cromss {

// The slot a pixel is counted in: -1 for ignored pixels, n*n for out-of-range ones.
CROMSS_HD int64_t confusion_slot(int64_t target, int64_t pred, int64_t n_classes,
                                 int64_t ignore_index) {
  if (target == ignore_index) return -1;
  if (target < 0 || target >= n_classes || pred < 0 || pred >= n_classes)
    return n_classes * n_classes;
  return target * n_classes + pred;
}

}  // namespace cromss
