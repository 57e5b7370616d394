// The spatial-temporal prior of method-spec.md §3.1 for the data pipeline: a per-sample adapter
// over the one CPU implementation (cpu_kernels::label_prior_sample, kernels/cromss_prior.h). Type
// t: temporal frequency of the 4 seasons; s: the drawn season; ts (CromSS): their mean.
#pragma once

#include <cstdint>

#include "kernels/cromss_prior.h"

namespace cromss::data {

// labels: (seasons, H, W) class ids in 0..n_classes-1 (others count for no class); season: the
// drawn season s*; type t, s or ts; out: (n_classes, H, W).
void compute_prior(const uint8_t* labels, int seasons, int height, int width, int season,
                   PriorType type, int n_classes, float* out);

}  // namespace cromss::data
