// CPU reference of confusion-matrix accumulation (kernels/confusion.h).
#include "kernels/confusion.h"

#include "core/error.h"
#include "kernels/confusion.cuh"

namespace cromss::cpu_kernels {
namespace {
template <class T>
void accumulate(const T* pred, const T* target, int64_t n, int64_t n_classes, int64_t ignore,
                int64_t* counts) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t slot = confusion_slot(static_cast<int64_t>(target[i]),
                                        static_cast<int64_t>(pred[i]), n_classes, ignore);
    if (slot >= 0) counts[slot] += 1;
  }
}
}  // namespace

void confusion_accumulate(const void* pred, const void* target, DType label_dtype, int64_t n,
                          int64_t n_classes, int64_t ignore_index, int64_t* counts,
                          const Context&) {
  switch (label_dtype) {
    case DType::u8:
      return accumulate(static_cast<const uint8_t*>(pred), static_cast<const uint8_t*>(target), n,
                        n_classes, ignore_index, counts);
    case DType::i32:
      return accumulate(static_cast<const int32_t*>(pred), static_cast<const int32_t*>(target), n,
                        n_classes, ignore_index, counts);
    case DType::i64:
      return accumulate(static_cast<const int64_t*>(pred), static_cast<const int64_t*>(target), n,
                        n_classes, ignore_index, counts);
    default:
      CROMSS_THROW(ValueError, "confusion matrix: labels must be u8, i32 or i64, got {}",
                   dtype_name(label_dtype));
  }
}

}  // namespace cromss::cpu_kernels
