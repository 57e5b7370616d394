// Class argmax of (B,C,H,W) logits into u8 (B,H,W) predictions (math in kernels/argmax.cuh).
// cpu_kernels:: f32/f64; cuda_kernels:: f32/f64/bf16/f16. C <= 256.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace cromss::cpu_kernels {
template <class T>
void argmax_channels(const T* x, int64_t batch, int classes, int64_t pixels, uint8_t* out);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void argmax_channels(const void* x, DType dtype, int64_t batch, int classes, int64_t pixels,
                     uint8_t* out, int device);
}  // namespace cromss::cuda_kernels
