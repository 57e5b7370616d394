// Per-element math of the fp16 dynamic loss scaler (torch.amp GradScaler semantics), shared by
// the CPU reference (kernels/cpu/amp.cpp) and the CUDA kernels (kernels/cuda/amp.cu).
//   unscale: g *= 1/scale (the reciprocal taken in double, then rounded to float, as torch);
//            an element that is not finite BEFORE unscaling raises found_inf.
//   update:  torch's _amp_update_scale_ plus this engine's floor and skip counter:
//            found_inf: scale = max(scale * backoff, min_scale), growth_tracker = 0, skips += 1;
//            else: skips = 0, growth_tracker += 1, and when it reaches growth_interval,
//                  scale *= growth (kept only if finite) and growth_tracker = 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.h"

namespace cromss {

CROMSS_HD float amp_inverse_scale(float scale) {
  return static_cast<float>(1.0 / static_cast<double>(scale));
}

// Returns the unscaled value; sets `non_finite` when g is inf or NaN.
CROMSS_HD float amp_unscale(float g, float inv_scale, bool& non_finite) {
  non_finite = !std::isfinite(g);
  return g * inv_scale;
}

struct AmpScalerState {
  float scale;
  int32_t growth_tracker;
  int32_t consecutive_skips;
};

struct AmpScalerHyper {
  float growth_factor, backoff_factor, min_scale;
  int32_t growth_interval;
};

CROMSS_HD void amp_update(AmpScalerState& s, bool found_inf, const AmpScalerHyper& h) {
  if (found_inf) {
    const float backed_off = s.scale * h.backoff_factor;
    s.scale = backed_off < h.min_scale ? h.min_scale : backed_off;
    s.growth_tracker = 0;
    s.consecutive_skips += 1;
    return;
  }
  s.consecutive_skips = 0;
  const int32_t successful = s.growth_tracker + 1;
  if (successful == h.growth_interval) {
    const float grown = s.scale * h.growth_factor;
    if (std::isfinite(grown)) s.scale = grown;
    s.growth_tracker = 0;
  } else {
    s.growth_tracker = successful;
  }
}

}  // namespace cromss
