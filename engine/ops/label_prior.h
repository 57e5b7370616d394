// The spatial-temporal label prior of CromSS (method-spec.md §3.1) from the four seasonal DW label
// maps and the drawn season: temporal (t), spatial (s) or their mean (ts). One kernel for both
// backends (kernels/cromss_prior.h, math in kernels/prior.cuh), reached through dispatch().
#pragma once

#include "engine/tensor.h"
#include "kernels/cromss_prior.h"

namespace cromss {

// labels_seasons (B,S,H,W) integer in 0..num_classes-1, season (B) integer in 0..S-1; returns
// (B,num_classes,H,W) f32 on the device of labels_seasons. type must not be PriorType::none.
Tensor label_prior(const Tensor& labels_seasons, const Tensor& season, int num_classes,
                   PriorType type);

}  // namespace cromss
