// CPU reference of the fused optimizer steps (kernels/optimizer.h); math in kernels/optimizer.cuh.
// OpenMP + SIMD over the flat buffer: element-wise, so the result does not depend on the thread
// count. The loops vectorise (GCC -fopt-info-vec) because the scalars are copied into each
// thread's locals (a reference into the outlined OpenMP function defeats it) and the kernels
// library builds with -fno-math-errno (sqrtf without the errno branch).
#include "kernels/optimizer.cuh"

#include "kernels/optimizer.h"

namespace cromss::cpu_kernels {

void adam_step(float* params, const float* grads, float* exp_avg, float* exp_avg_sq, int64_t n,
               const AdamHyper& h, int64_t* step, const int32_t* skip, const Context&) {
  if (skip != nullptr && *skip != 0) return;
  const AdamScalars scalars =
      adam_scalars(h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, *step + 1);
#pragma omp parallel
  {
    const AdamScalars s = scalars;
#pragma omp for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) adam_update(params[i], grads[i], exp_avg[i], exp_avg_sq[i], s);
  }
  *step += 1;
}

void sgd_step(float* params, const float* grads, float* momentum_buffer, int64_t n,
              const SgdHyper& h, int64_t* step, const int32_t* skip, const Context&) {
  if (skip != nullptr && *skip != 0) return;
  const SgdScalars scalars = sgd_scalars(h.lr, h.momentum, h.dampening, h.weight_decay, *step + 1);
#pragma omp parallel
  {
    const SgdScalars s = scalars;
#pragma omp for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) sgd_update(params[i], grads[i], momentum_buffer[i], s);
  }
  *step += 1;
}

}  // namespace cromss::cpu_kernels
