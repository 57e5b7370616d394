// Device dispatch helpers for op implementations. CROMSS_ON_CUDA(expr) evaluates expr in a CUDA
// build and throws a clear error in a CPU-only build, so dispatch code never needs stubs.
// CROMSS_DISPATCH_CPU_FLOAT runs a body with `scalar_t` bound to float or double (the CPU
// reference runs in f32 and, for gradient checks, f64).
#pragma once

#include "core/dtype_case.h"
#include "core/error.h"
#include "engine/tensor.h"

#if CROMSS_WITH_CUDA
#define CROMSS_ON_CUDA(...) __VA_ARGS__
#else
#define CROMSS_ON_CUDA(...) ::cromss::throw_no_cuda(__FILE__, __LINE__)
#endif

#define CROMSS_DISPATCH_CPU_FLOAT(dtype, op_name, ...)                                     \
  [&] {                                                                                    \
    switch (dtype) {                                                                       \
      CROMSS_DTYPE_CASE(f32, float, __VA_ARGS__)                                           \
      CROMSS_DTYPE_CASE(f64, double, __VA_ARGS__)                                          \
      default:                                                                             \
        CROMSS_THROW(ValueError, "{}: the CPU path supports f32 and f64, got {}", op_name, \
                     ::cromss::dtype_name(dtype));                                         \
    }                                                                                      \
  }()
