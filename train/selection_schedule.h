// Sample-selection schedules (method-spec.md §4.3, upstream utils/utils.py), as a function of the
// 0-based epoch e, the ramp length N (--sample_selection_rmdown_epoch) and the final proportion P:
//   exp:    f(e) = exp(-5 (1 - clip(e, 0, N)/N)^2)  (f = 1 if N = 0)
//   linear: f(e) = min(e / N, 1)                     (f = 1 if N = 0)
//   none:   f = 1 (upstream crashes here, method-spec.md §9.28)
//   r(e) = 1 - f(e)(1 - P) for e <= N, else P       (segmentation selection ratio)
//   W_e  = (1 - f) + f c_hat for e <= N, else c_hat  (consistency blend; see cromss_objective.cuh)
#pragma once

#include "train/objective_config.h"

namespace cromss {

struct SelectionSchedule {
  double ramp = 1;      // f(e)
  double ratio = 1;     // r(e)
  bool ramping = true;  // e <= N: the consistency weight is blended with 1
};

double ramp_value(RampFunction fn, int epoch, int rmdown_epoch);
SelectionSchedule selection_schedule(const ObjectiveConfig& config, int epoch);

}  // namespace cromss
