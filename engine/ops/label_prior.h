// The spatial-temporal label prior of CromSS (method-spec.md §3.1) from the four seasonal DW label
// maps and the drawn season: temporal (t), spatial (s) or their mean (ts). One kernel for both
// backends (kernels/cromss_prior.h, math in kernels/prior.cuh and kernels/prior_tile.cuh), reached
// through dispatch().
#pragma once

#include "engine/tensor.h"
#include "kernels/cromss_prior.h"

namespace cromss {

// labels_seasons (B,S,H,W) integer in 0..num_classes-1, season (B) integer in 0..S-1; returns
// (B,num_classes,H,W) f32 on the device of labels_seasons. type must not be PriorType::none.
// Checks every value on the host (a device-to-host copy for device tensors).
Tensor label_prior(const Tensor& labels_seasons, const Tensor& season, int num_classes,
                   PriorType type);

// The pretraining loader's prior built on the device of tile_labels instead (pretraining's
// --prior_on_device): the prior of each sample's full-tile seasonal labels tile_labels (B,S,T,T)
// integer (values outside 0..num_classes-1 count for no class, as in the loader; season (B) in
// 0..S-1 as the loader draws it), warped by the sample's crop/flip/rotation, warp (B,kWarpFields)
// f64 rows of data::warp_row (kernels/augment_warp.cuh), to (B,num_classes,crop,crop). The
// loader's computation step for step, so on the CPU it equals the loader's prior; no host copy.
Tensor warped_label_prior(const Tensor& tile_labels, const Tensor& season, const Tensor& warp,
                          int num_classes, PriorType type, int crop);

}  // namespace cromss
