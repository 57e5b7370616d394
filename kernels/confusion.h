// Confusion-matrix accumulation over n pixels of integer predictions and targets (math in
// kernels/confusion.cuh). counts: int64[n_classes * n_classes + 1] on the inputs' device,
// accumulated into (+=). Label element types: u8, i32, i64 (`label_dtype` for both inputs).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(confusion_accumulate,
              void(const void* pred, const void* target, DType label_dtype, int64_t n,
                   int64_t n_classes, int64_t ignore_index, int64_t* counts, const Context& ctx));

}  // namespace cromss
