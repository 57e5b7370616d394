// CPU spatial-temporal prior for the data pipeline (see prior.h): maps the prior type to the
// temporal/spatial mix weights and calls the kernel.
#include "data/prior.h"

#include "core/error.h"
#include "kernels/cromss_prior.h"

namespace cromss::data {

PriorType parse_prior_type(const std::string& s) {
  if (s == "t") return PriorType::Temporal;
  if (s == "s") return PriorType::Spatial;
  if (s == "ts") return PriorType::TemporalSpatial;
  CROMSS_THROW(ValueError, "--label_smoothing_prior_type must be t, s or ts, got '{}'", s);
}

void compute_prior(const uint8_t* labels, int seasons, int height, int width, int season,
                   PriorType type, int n_classes, float* out) {
  CROMSS_CHECK(season >= 0 && season < seasons, "compute_prior: season {} outside 0..{}", season,
               seasons - 1);
  const float mix_t = type == PriorType::Spatial ? 0.f : (type == PriorType::Temporal ? 1.f : 0.5f);
  const float mix_s = type == PriorType::Temporal ? 0.f : (type == PriorType::Spatial ? 1.f : 0.5f);
  cpu_kernels::label_prior_sample(labels, seasons, height, width, season, n_classes, mix_t, mix_s,
                                  out);
}

}  // namespace cromss::data
