// The loader's crop/flip/rotation applied on the compute device to float planes built there from
// the full tile (the label-smoothing prior, engine/ops/label_prior.h): src (B, C, tile, tile),
// warp (B, kWarpFields) f64 rows (kernels/augment_warp.cuh), dst (B, C, crop, crop). Bilinear, as
// the loader warps its prior; both backends run warp_source, so the CPU result equals the loader's.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(augment_warp, void(const float* src, const double* warp, int64_t B, int C, int tile,
                                 int crop, float* dst, const Context& ctx));

}  // namespace cromss
