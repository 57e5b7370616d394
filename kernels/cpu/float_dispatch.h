// CROMSS_CPU_FLOAT(dtype, name, body) runs `body` (a lambda) with `scalar_t` bound to float or
// double: the CPU entry of a kernel (kernels/kernel_table.h) turns its untyped pointers into the
// typed reference loop with it. The CPU reference runs in f32 and, for gradient checks, f64;
// other dtypes are a clear error naming the kernel.
#pragma once

#include "core/dtype_case.h"
#include "core/error.h"

#define CROMSS_CPU_FLOAT(dtype, kernel_name, ...)                                              \
  [&] {                                                                                        \
    switch (dtype) {                                                                           \
      CROMSS_DTYPE_CASE(f32, float, __VA_ARGS__)                                               \
      CROMSS_DTYPE_CASE(f64, double, __VA_ARGS__)                                              \
      default:                                                                                 \
        CROMSS_THROW(ValueError, "{}: the CPU path supports f32 and f64, got {}", kernel_name, \
                     ::cromss::dtype_name(dtype));                                             \
    }                                                                                          \
  }()

namespace cromss::cpu_kernels {
// Typed views of a kernel's untyped pointers.
template <class T>
const T* typed(const void* p) {
  return static_cast<const T*>(p);
}
template <class T>
T* typed(void* p) {
  return static_cast<T*>(p);
}
}  // namespace cromss::cpu_kernels
