// CPU spatial-temporal prior for the data pipeline (see prior.h): the prior type's temporal/
// spatial mix weights (kernels/cromss_prior.h) and the kernel.
#include "data/prior.h"

#include "core/error.h"
#include "kernels/cromss_prior.h"

namespace cromss::data {

void compute_prior(const uint8_t* labels, int seasons, int height, int width, int season,
                   PriorType type, int n_classes, float* out) {
  CROMSS_CHECK(season >= 0 && season < seasons, "compute_prior: season {} outside 0..{}", season,
               seasons - 1);
  CROMSS_CHECK(type != PriorType::none, "compute_prior: a prior type (ts, t, s) is required");
  const PriorMix mix = prior_mix(type);
  cpu_kernels::label_prior_sample(labels, seasons, height, width, season, n_classes, mix.temporal,
                                  mix.spatial, out);
}

}  // namespace cromss::data
