// Row-major GEMM: c (m, n) = op(a) (m, k) x op(b) (k, n), op = transpose when requested, so a is
// stored (m, k) or (k, m) and b (k, n) or (n, k), all densely packed. c is overwritten.
// cpu_kernels:: the loop reference (f32 production GEMMs run on oneDNN, kernels/onednn/).
// cuda_kernels:: cuBLASLt on the device's Context stream and workspace: f32/bf16/f16 with fp32
// accumulation (CUBLAS_COMPUTE_32F, no TF32), f64 in f64.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(gemm, void(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                         const void* a, const void* b, void* c, DType dtype, const Context& ctx));

namespace cpu_kernels {  // the typed reference loop behind the CPU entry (f32, f64)
template <class T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const T* a,
          const T* b, T* c);
}  // namespace cpu_kernels

namespace cuda_kernels {  // CUDA-only helpers
// Milliseconds per gemm (no transposes) on fresh device buffers, timed with CUDA events over
// `iterations` calls after one warm-up call (bench/bench_gemm.cpp).
double time_gemm_ms(int64_t m, int64_t n, int64_t k, DType dtype, int iterations,
                    const Context& ctx);
}  // namespace cuda_kernels

}  // namespace cromss
