// CUDA GEMM through cuBLASLt (see kernels/matmul.h).
//
// cuBLASLt is column-major. A row-major (r, c) matrix is the column-major (c, r) matrix with
// leading dimension c, so the row-major product c = op(a) op(b) is computed as the column-major
// product c^T (n, m) = op(b)^T op(a)^T: cuBLASLt's "A" is our b (transposed iff transpose_b) and
// its "B" is our a (transposed iff transpose_a). The chosen algorithm is cached per shape,
// dtype, device and operand alignment.
#include <map>
#include <mutex>
#include <tuple>

#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/matmul.h"

namespace cromss::cuda_kernels {
namespace {

struct LtTypes {
  cudaDataType_t data;
  cublasComputeType_t compute;
  cudaDataType_t scale;
  size_t size;
};

LtTypes lt_types(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return {CUDA_R_32F, CUBLAS_COMPUTE_32F, CUDA_R_32F, 4};
    case DType::bf16:
      return {CUDA_R_16BF, CUBLAS_COMPUTE_32F, CUDA_R_32F, 2};
    case DType::f16:
      return {CUDA_R_16F, CUBLAS_COMPUTE_32F, CUDA_R_32F, 2};
    case DType::f64:
      return {CUDA_R_64F, CUBLAS_COMPUTE_64F, CUDA_R_64F, 8};
    default:
      CROMSS_THROW(ValueError, "matmul: unsupported dtype {} on CUDA", dtype_name(dtype));
  }
}

// Owns the cuBLASLt descriptors of one call.
struct LtDescriptors {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  LtDescriptors() = default;
  LtDescriptors(const LtDescriptors&) = delete;
  LtDescriptors& operator=(const LtDescriptors&) = delete;
  ~LtDescriptors() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

// Largest power of two (up to 256) dividing the address: cuBLASLt picks kernels by alignment.
uint32_t alignment_of(const void* p) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  uint32_t align = 256;
  while (align > 1 && addr % align != 0) align /= 2;
  return align;
}

using AlgoKey =
    std::tuple<int, int, bool, bool, int64_t, int64_t, int64_t, uint32_t, uint32_t, uint32_t>;
std::mutex g_algo_mutex;
std::map<AlgoKey, cublasLtMatmulAlgo_t> g_algos;

}  // namespace

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const void* a,
          const void* b, void* c, DType dtype, const Context& ctx) {
  if (m == 0 || n == 0) return;
  cudaStream_t stream = stream_of(ctx);
  const LtTypes t = lt_types(dtype);
  if (k == 0) {
    CUDA_CHECK(cudaMemsetAsync(c, 0, static_cast<size_t>(m * n) * t.size, stream));
    return;
  }
  LtDescriptors d;
  CUBLAS_CHECK(cublasLtMatmulDescCreate(&d.op, t.compute, t.scale));
  const cublasOperation_t op_lt_a = transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_lt_b = transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSA, &op_lt_a, sizeof(op_lt_a)));
  CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSB, &op_lt_b, sizeof(op_lt_b)));
  // Column-major shapes of the stored operands: b is (n, k) unless transposed, a is (k, m).
  const uint64_t lt_a_rows = transpose_b ? k : n, lt_a_cols = transpose_b ? n : k;
  const uint64_t lt_b_rows = transpose_a ? m : k, lt_b_cols = transpose_a ? k : m;
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d.a, t.data, lt_a_rows, lt_a_cols, lt_a_rows));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d.b, t.data, lt_b_rows, lt_b_cols, lt_b_rows));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d.c, t.data, n, m, n));

  const uint32_t align_a = alignment_of(b), align_b = alignment_of(a), align_c = alignment_of(c);
  const AlgoKey key{
      ctx.index(), static_cast<int>(dtype), transpose_a, transpose_b, m, n, k, align_a, align_b,
      align_c};
  cublasLtMatmulAlgo_t algo;
  {
    std::lock_guard<std::mutex> lock(g_algo_mutex);
    auto it = g_algos.find(key);
    if (it != g_algos.end()) {
      algo = it->second;
    } else {
      CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&d.pref));
      const uint64_t ws = ctx.workspace_bytes();
      CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
          d.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
      const cublasLtMatmulPreferenceAttributes_t align_attrs[] = {
          CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
          CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
      const uint32_t aligns[] = {align_a, align_b, align_c, align_c};
      for (int i = 0; i < 4; ++i)
        CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, align_attrs[i], &aligns[i],
                                                          sizeof(aligns[i])));
      cublasLtMatmulHeuristicResult_t result{};
      int found = 0;
      CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(cublaslt_of(ctx), d.op, d.a, d.b, d.c, d.c,
                                                  d.pref, 1, &result, &found));
      if (found == 0)
        CROMSS_THROW(CublasError,
                     "matmul: cuBLASLt has no algorithm for {} ({}x{}x{}, ta={}, tb={})",
                     dtype_name(dtype), m, n, k, transpose_a, transpose_b);
      algo = result.algo;
      g_algos.emplace(key, algo);
    }
  }
  // ctx.workspace() is the current stream's own workspace (core/context.h), so GEMMs queued on two
  // streams at once never share one.
  const float alpha_f = 1.0f, beta_f = 0.0f;
  const double alpha_d = 1.0, beta_d = 0.0;
  const bool f64 = dtype == DType::f64;
  CUBLAS_CHECK(cublasLtMatmul(cublaslt_of(ctx), d.op,
                              f64 ? static_cast<const void*>(&alpha_d) : &alpha_f, b, d.a, a, d.b,
                              f64 ? static_cast<const void*>(&beta_d) : &beta_f, c, d.c, c, d.c,
                              &algo, ctx.workspace(), ctx.workspace_bytes(), stream));
}

double time_gemm_ms(int64_t m, int64_t n, int64_t k, DType dtype, int iterations,
                    const Context& ctx) {
  const size_t es = lt_types(dtype).size;
  CUDA_CHECK(cudaSetDevice(ctx.index()));
  cudaStream_t stream = stream_of(ctx);
  const Scratch a_buffer(ctx, static_cast<size_t>(m * k) * es),
      b_buffer(ctx, static_cast<size_t>(k * n) * es),
      c_buffer(ctx, static_cast<size_t>(m * n) * es);
  void *a = a_buffer.data(), *b = b_buffer.data(), *c = c_buffer.data();
  CUDA_CHECK(cudaMemsetAsync(a, 0, a_buffer.bytes(), stream));
  CUDA_CHECK(cudaMemsetAsync(b, 0, b_buffer.bytes(), stream));
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  gemm(false, false, m, n, k, a, b, c, dtype, ctx);  // warm-up: algorithm choice, lazy init
  CUDA_CHECK(cudaEventRecord(start, stream));
  for (int i = 0; i < iterations; ++i) gemm(false, false, m, n, k, a, b, c, dtype, ctx);
  CUDA_CHECK(cudaEventRecord(stop, stream));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return static_cast<double>(ms) / iterations;
}

}  // namespace cromss::cuda_kernels
