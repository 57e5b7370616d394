// Fused CUDA optimizer steps (kernels/optimizer.h); math in kernels/optimizer.cuh. Each thread
// reads the device step count and skip flag itself (no host sync); a one-thread kernel launched
// after the update increments the count, so every update thread sees the same t.
#include "core/cuda/context_cuda.h"
#include "kernels/cuda/types.cuh"
#include "kernels/optimizer.cuh"
#include "kernels/optimizer.h"

namespace cromss::cuda_kernels {
namespace {

__device__ __forceinline__ bool skipped(const int32_t* skip) {
  return skip != nullptr && *skip != 0;
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, int64_t n, AdamHyper h,
                            const int64_t* step, const int32_t* skip) {
  if (skipped(skip)) return;
  const AdamScalars s = adam_scalars(h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, *step + 1);
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    float pi = p[i], mi = m[i], vi = v[i];
    adam_update(pi, g[i], mi, vi, s);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}

__global__ void sgd_kernel(float* p, const float* g, float* buf, int64_t n, SgdHyper h,
                           const int64_t* step, const int32_t* skip) {
  if (skipped(skip)) return;
  const SgdScalars s = sgd_scalars(h.lr, h.momentum, h.dampening, h.weight_decay, *step + 1);
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    float pi = p[i], bi = buf[i];
    sgd_update(pi, g[i], bi, s);
    p[i] = pi;
    buf[i] = bi;
  }
}

__global__ void advance_step_kernel(int64_t* step, const int32_t* skip) {
  if (!skipped(skip)) *step += 1;
}

}  // namespace

void adam_step(float* params, const float* grads, float* exp_avg, float* exp_avg_sq, int64_t n,
               const AdamHyper& h, int64_t* step, const int32_t* skip, const Context& ctx) {
  cudaStream_t stream = stream_of(ctx);
  if (n > 0) {
    adam_kernel<<<blocks_for(n), kThreads, 0, stream>>>(params, grads, exp_avg, exp_avg_sq, n, h,
                                                        step, skip);
    CUDA_CHECK_LAUNCH();
  }
  advance_step_kernel<<<1, 1, 0, stream>>>(step, skip);
  CUDA_CHECK_LAUNCH();
}

void sgd_step(float* params, const float* grads, float* momentum_buffer, int64_t n,
              const SgdHyper& h, int64_t* step, const int32_t* skip, const Context& ctx) {
  cudaStream_t stream = stream_of(ctx);
  if (n > 0) {
    sgd_kernel<<<blocks_for(n), kThreads, 0, stream>>>(params, grads, momentum_buffer, n, h, step,
                                                       skip);
    CUDA_CHECK_LAUNCH();
  }
  advance_step_kernel<<<1, 1, 0, stream>>>(step, skip);
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
