// Fused optimizer steps over one flat fp32 parameter buffer, its flat fp32 gradient buffer and
// the flat fp32 moment buffers (math in kernels/optimizer.cuh). `step` points to the int64 count
// of steps taken so far and `skip` to an int32 flag (may be null: never skip); both live on the
// buffers' device. When *skip != 0 nothing changes (parameters, moments and step count), which
// lets an fp16 overflow skip the step without a host sync; otherwise the update uses
// t = *step + 1 and *step is incremented.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace cromss {

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
};
struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
};

CROMSS_KERNEL(adam_step,
              void(float* params, const float* grads, float* exp_avg, float* exp_avg_sq, int64_t n,
                   const AdamHyper& h, int64_t* step, const int32_t* skip, const Context& ctx));
CROMSS_KERNEL(sgd_step,
              void(float* params, const float* grads, float* momentum_buffer, int64_t n,
                   const SgdHyper& h, int64_t* step, const int32_t* skip, const Context& ctx));

}  // namespace cromss
