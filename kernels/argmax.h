// Class argmax of (B,C,H,W) logits into u8 (B,H,W) predictions (math in kernels/argmax.cuh).
// Both backends: f32/f64/bf16/f16. C <= 256.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(argmax_channels, void(const void* x, DType dtype, int64_t batch, int classes,
                                    int64_t pixels, uint8_t* out, const Context& ctx));

}  // namespace cromss
