// CPU reference of the loss-scaler kernels (kernels/amp.h); math in kernels/amp.cuh.
#include "kernels/amp.h"

namespace cromss::cpu_kernels {

void amp_unscale_check(float* grads, int64_t n, const AmpScalerState* state, int32_t* found_inf,
                       const Context&) {
  const float inv = amp_inverse_scale(state->scale);
  bool any = false;
  for (int64_t i = 0; i < n; ++i) {
    bool bad = false;
    grads[i] = amp_unscale(grads[i], inv, bad);
    any = any || bad;
  }
  if (any) *found_inf = 1;
}

void amp_update(AmpScalerState* state, const int32_t* found_inf, const AmpScalerHyper& h,
                const Context&) {
  cromss::amp_update(*state, *found_inf != 0, h);
}

}  // namespace cromss::cpu_kernels
