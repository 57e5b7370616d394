// Spatial-temporal label prior kernels (method-spec.md §3.1). Inputs: seasonal labels (B,S,H,W)
// int32 in 0..C-1, the drawn season per sample (B) int32; output (B,C,H,W) f32. `mix_t`/`mix_s` are
// the weights of the temporal and spatial maps (t: 1/0, s: 0/1, ts: 0.5/0.5). Math in
// kernels/prior.cuh (taps, reflect borders).
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace cromss {

// --label_smoothing_prior_type, the one enum for the data pipeline and the objective: t temporal,
// s spatial, ts (CromSS) their mean; none (ours) smooths toward the uniform distribution only.
enum class PriorType { ts, t, s, none };

// Weights of the temporal and spatial maps in the prior of `type` (t: 1/0, s: 0/1, ts: .5/.5).
struct PriorMix {
  float temporal, spatial;
};
inline PriorMix prior_mix(PriorType type) {
  return {type == PriorType::s ? 0.f : (type == PriorType::t ? 1.f : 0.5f),
          type == PriorType::t ? 0.f : (type == PriorType::s ? 1.f : 0.5f)};
}

// A batch: seasons (B,S,H,W), season (B), prior (B,C,H,W).
CROMSS_KERNEL(label_prior,
              void(const int32_t* seasons, const int32_t* season, int64_t B, int S, int C, int H,
                   int W, float mix_t, float mix_s, float* prior, const Context& ctx));

namespace cpu_kernels {  // the data pipeline's per-sample entry (data/prior.h)
// One sample: labels (S,H,W) uint8, the drawn season in 0..S-1; out (C,H,W). On the CPU, labels
// outside 0..C-1 count for no class.
void label_prior_sample(const uint8_t* labels, int S, int H, int W, int season, int C, float mix_t,
                        float mix_s, float* out);
}  // namespace cpu_kernels

}  // namespace cromss
