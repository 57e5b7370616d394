// CPU reference GEMM (see kernels/matmul.h): plain C++, no BLAS. A transposed operand is first
// copied into its plain layout. c is computed in tiles of 4 rows x 2 vectors of columns held in
// registers (GCC vector extension, 16-byte vectors: SSE2 or wider) while p runs over the whole
// inner dimension, so every element of c sums its k products in order p = 0..k-1 from zero,
// exactly as the naive triple loop; edge tiles run that loop itself. Tiles run in parallel, so
// results do not depend on the thread count. The f32 production path is oneDNN
// (kernels/onednn/); this one serves f64 (gradient checks, golden tests) and the tests'
// reference.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/float_dispatch.h"
#include "kernels/matmul.h"
#include "kernels/onednn/onednn.h"

namespace cromss::cpu_kernels {
namespace {

// Products smaller than this many multiply-adds (a few ms) run on one thread: a parallel region
// per small GEMM costs more than it saves, above all on a loaded machine.
constexpr int64_t kParallelMacs = int64_t{1} << 22;
constexpr int64_t kTileRows = 4;

// (rows, cols) row-major -> (cols, rows) row-major, in 32 x 32 blocks that stay in cache.
template <class T>
std::vector<T> transposed(const T* src, int64_t rows, int64_t cols) {
  constexpr int64_t block = 32;
  std::vector<T> dst(rows * cols);
  for (int64_t r0 = 0; r0 < rows; r0 += block)
    for (int64_t c0 = 0; c0 < cols; c0 += block)
      for (int64_t r = r0; r < std::min(rows, r0 + block); ++r)
        for (int64_t c = c0; c < std::min(cols, c0 + block); ++c)
          dst[c * rows + r] = src[r * cols + c];
  return dst;
}

// c[i0.., j0..] (rows x cols) = a (m, k) x b (k, n), the naive loop.
template <class T>
void gemm_edge(const T* a, const T* b, T* c, int64_t n, int64_t k, int64_t i0, int64_t rows,
               int64_t j0, int64_t cols) {
  for (int64_t i = i0; i < i0 + rows; ++i)
    for (int64_t j = j0; j < j0 + cols; ++j) {
      T acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += a[i * k + p] * b[p * n + j];
      c[i * n + j] = acc;
    }
}

// One full tile: kTileRows rows from i0, two vectors of columns from j0.
template <class T>
void gemm_tile(const T* a, const T* b, T* c, int64_t n, int64_t k, int64_t i0, int64_t j0) {
  typedef T Vec __attribute__((vector_size(16)));
  constexpr int64_t lanes = sizeof(Vec) / sizeof(T);
  Vec acc[kTileRows][2] = {};
  for (int64_t p = 0; p < k; ++p) {
    Vec b0, b1;
    std::memcpy(&b0, b + p * n + j0, sizeof b0);
    std::memcpy(&b1, b + p * n + j0 + lanes, sizeof b1);
    for (int64_t r = 0; r < kTileRows; ++r) {
      const T ar = a[(i0 + r) * k + p];
      acc[r][0] += ar * b0;
      acc[r][1] += ar * b1;
    }
  }
  for (int64_t r = 0; r < kTileRows; ++r) {
    std::memcpy(c + (i0 + r) * n + j0, &acc[r][0], sizeof(Vec));
    std::memcpy(c + (i0 + r) * n + j0 + lanes, &acc[r][1], sizeof(Vec));
  }
}

}  // namespace

template <class T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const T* a,
          const T* b, T* c) {
  std::vector<T> a_plain, b_plain;
  if (transpose_a) a_plain = transposed(a, k, m);  // stored (k, m)
  if (transpose_b) b_plain = transposed(b, n, k);  // stored (n, k)
  const T* ap = transpose_a ? a_plain.data() : a;  // (m, k)
  const T* bp = transpose_b ? b_plain.data() : b;  // (k, n)
  constexpr int64_t tile_cols = 2 * 16 / sizeof(T);
  const int64_t row_tiles = m / kTileRows, col_tiles = n / tile_cols;
#pragma omp parallel for collapse(2) schedule(static) if (m * n * k >= kParallelMacs)
  for (int64_t ti = 0; ti < row_tiles; ++ti)
    for (int64_t tj = 0; tj < col_tiles; ++tj)
      gemm_tile(ap, bp, c, n, k, ti * kTileRows, tj * tile_cols);
  // The rows below the last full row tile, then the columns right of the last full column tile.
  gemm_edge(ap, bp, c, n, k, row_tiles * kTileRows, m - row_tiles * kTileRows, 0, n);
  gemm_edge(ap, bp, c, n, k, 0, row_tiles * kTileRows, col_tiles * tile_cols,
            n - col_tiles * tile_cols);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, const float*, const float*,
                          float*);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, const double*, const double*,
                           double*);

// The kernel's CPU entry (kernels/kernel_table.h): oneDNN for f32, the typed reference above
// for f64.

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const void* a,
          const void* b, void* c, DType dtype, const Context&) {
  if (dtype == DType::f32)
    return onednn_kernels::gemm(transpose_a, transpose_b, m, n, k, static_cast<const float*>(a),
                                static_cast<const float*>(b), static_cast<float*>(c));
  CROMSS_CPU_FLOAT(dtype, "gemm", [&] {
    gemm<scalar_t>(transpose_a, transpose_b, m, n, k, typed<scalar_t>(a), typed<scalar_t>(b),
                   typed<scalar_t>(c));
  });
}

}  // namespace cromss::cpu_kernels
