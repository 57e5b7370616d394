// Confusion-matrix accumulation over n pixels of integer predictions and targets (math in
// kernels/confusion.cuh). counts: int64[n_classes * n_classes + 1] on the inputs' device,
// accumulated into (+=). Label element types: u8, i32, i64 (`label_dtype` for both inputs).
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace cromss::cpu_kernels {
void confusion_accumulate(const void* pred, const void* target, DType label_dtype, int64_t n,
                          int64_t n_classes, int64_t ignore_index, int64_t* counts);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void confusion_accumulate(const void* pred, const void* target, DType label_dtype, int64_t n,
                          int64_t n_classes, int64_t ignore_index, int64_t* counts, int device);
}  // namespace cromss::cuda_kernels
