// Loss-scaler kernels over the flat fp32 gradient buffer (math in kernels/amp.cuh). The scaler
// state (AmpScalerState) and the found_inf flag (int32) live on the buffer's device.
//   unscale_check: grads *= 1/state->scale; *found_inf = 1 if any gradient was not finite
//                  (the caller zeroes *found_inf first; the kernel only ever sets it).
//   update:        amp_update(*state, *found_inf != 0).
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

#include "kernels/amp.cuh"

namespace cromss {

CROMSS_KERNEL(amp_unscale_check, void(float* grads, int64_t n, const AmpScalerState* state,
                                      int32_t* found_inf, const Context& ctx));
CROMSS_KERNEL(amp_update, void(AmpScalerState* state, const int32_t* found_inf,
                               const AmpScalerHyper& h, const Context& ctx));

}  // namespace cromss
