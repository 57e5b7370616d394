// The building block of every dtype dispatch macro (engine/dispatch.h for the CPU,
// kernels/cuda/types.cuh for CUDA): one `case` of a switch over DType that runs the body (a
// lambda, passed as the variadic arguments so that its commas survive) with `scalar_t` bound to
// the C++ type of that dtype. Macros only, C++17-clean (included from .cu files).
#pragma once

#include "core/dtype.h"

#define CROMSS_DTYPE_CASE(dtype_enum, type, ...) \
  case ::cromss::DType::dtype_enum: {            \
    using scalar_t = type;                       \
    return __VA_ARGS__();                        \
  }
