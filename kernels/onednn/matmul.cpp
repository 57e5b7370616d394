// GEMM on oneDNN's dnnl_sgemm (see kernels/onednn/onednn.h): row-major like kernels/matmul.h, so
// the arguments map one to one. oneDNN picks its JIT kernel from the CPU's ISA (cpuid), not
// from a table of CPU models.
#include <algorithm>

#include "core/error.h"
#include "kernels/onednn/onednn.h"
#include "kernels/onednn/runtime.h"

namespace cromss::onednn_kernels {

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + m * n, 0.0f);
    return;
  }
  cpu_engine();  // checks the OpenMP runtime once
  const dnnl_status_t status =
      dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, 1.0f, a,
                 transpose_a ? m : k, b, transpose_b ? k : n, 0.0f, c, n);
  if (status != dnnl_success)
    throw Error("OnednnError", __FILE__, __LINE__,
                fmt::format("gemm: dnnl_sgemm ({}x{}x{}, transposes {} {}) failed with status {}",
                            m, n, k, transpose_a, transpose_b, static_cast<int>(status)));
}

}  // namespace cromss::onednn_kernels
