// One signature per kernel for every backend, and the table the engine's single dispatch point
// reads (engine/dispatch.h). A kernel header declares each kernel once:
//
//   CROMSS_KERNEL(softmax_forward, void(const void* x, void* y, DType dtype, int64_t outer,
//                                       int64_t channels, int64_t inner, bool log,
//                                       const Context& ctx));
//
// which declares cpu_kernels::softmax_forward and cuda_kernels::softmax_forward with exactly that
// type (a definition with any other signature does not link) and defines the table
// kernels::softmax_forward = {cpu, cuda}; the CUDA entry is null in a CPU-only build. Every
// kernel takes untyped pointers plus their DType, and the device's Context (stream, handles) as
// its last argument. The CPU entry switches on the dtype and calls the typed reference loop
// (cpu_kernels::<name><T>, f32/f64); a faster CPU implementation (e.g. oneDNN for f32) plugs in
// inside that entry, beside the reference, without touching any caller.
#pragma once

#include "core/context.h"
#include "core/dtype.h"

namespace cromss {

template <class Fn>
struct Kernel {
  const char* name;
  Fn* cpu;
  Fn* cuda;  // null in a CPU-only build
};

}  // namespace cromss

#if CROMSS_WITH_CUDA
#define CROMSS_KERNEL_CUDA_ENTRY(name) &::cromss::cuda_kernels::name
#else
#define CROMSS_KERNEL_CUDA_ENTRY(name) nullptr
#endif

// Use inside namespace cromss; the variadic part is the kernel's function type.
#define CROMSS_KERNEL(name, ...)                                                        \
  namespace cpu_kernels {                                                               \
  using name##_fn = __VA_ARGS__;                                                        \
  name##_fn name;                                                                       \
  }                                                                                     \
  namespace cuda_kernels {                                                              \
  cpu_kernels::name##_fn name;                                                          \
  }                                                                                     \
  namespace kernels {                                                                   \
  inline constexpr Kernel<cpu_kernels::name##_fn> name{#name, &cpu_kernels::name,       \
                                                       CROMSS_KERNEL_CUDA_ENTRY(name)}; \
  }
