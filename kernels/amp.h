// Loss-scaler kernels over the flat fp32 gradient buffer (math in kernels/amp.cuh). The scaler
// state (AmpScalerState) and the found_inf flag (int32) live on the buffer's device.
//   unscale_check: grads *= 1/state->scale; *found_inf = 1 if any gradient was not finite
//                  (the caller zeroes *found_inf first; the kernel only ever sets it).
//   update:        amp_update(*state, *found_inf != 0).
#pragma once

#include <cstdint>

#include "kernels/amp.cuh"

namespace cromss::cpu_kernels {
void amp_unscale_check(float* grads, int64_t n, const AmpScalerState* state, int32_t* found_inf);
void amp_update(AmpScalerState* state, const int32_t* found_inf, const AmpScalerHyper& h);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void amp_unscale_check(float* grads, int64_t n, const AmpScalerState* state, int32_t* found_inf,
                       int device);
void amp_update(AmpScalerState* state, const int32_t* found_inf, const AmpScalerHyper& h,
                int device);
}  // namespace cromss::cuda_kernels
