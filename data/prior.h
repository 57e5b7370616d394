// The spatial-temporal prior of spec §3.1 on the CPU: one-hot label planes, Gaussian blur per
// class (kernels/prior.cuh taps and borders, separable, float32), renormalised across classes.
// Type t: temporal frequency of the 4 seasons; s: the drawn season; ts (CromSS): their mean.
#pragma once

#include <cstdint>
#include <string>

namespace cromss::data {

enum class PriorType { Temporal, Spatial, TemporalSpatial };
PriorType parse_prior_type(const std::string& s);  // "t", "s" or "ts"

// labels: (seasons, H, W) class ids in 0..n_classes-1 (others count for no class); season: the
// drawn season s*; out: (n_classes, H, W).
void compute_prior(const uint8_t* labels, int seasons, int height, int width, int season,
                   PriorType type, int n_classes, float* out);

// In-place separable blur of one (H, W) float plane; scratch holds H*W floats.
void blur_plane(float* plane, int height, int width, float* scratch);

}  // namespace cromss::data
