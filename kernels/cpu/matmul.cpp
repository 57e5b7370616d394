// CPU GEMM through OpenBLAS (see kernels/matmul.h).
#include <cblas.h>

#include <algorithm>

#include "kernels/matmul.h"

namespace cromss::cpu_kernels {
namespace {

void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
               const float* a, blasint lda, const float* b, blasint ldb, float* c) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
}
void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
               const double* a, blasint lda, const double* b, blasint ldb, double* c) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
}

}  // namespace

template <class T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const T* a,
          const T* b, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + m * n, T(0));
    return;
  }
  // Leading dimensions are the stored row lengths.
  const int64_t lda = transpose_a ? m : k;
  const int64_t ldb = transpose_b ? k : n;
  blas_gemm(transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
            static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), a,
            static_cast<blasint>(lda), b, static_cast<blasint>(ldb), c);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, const float*, const float*,
                          float*);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, const double*, const double*,
                           double*);

}  // namespace cromss::cpu_kernels
