// Sample-selection schedules, method-spec.md §4.3 (formulas in train/selection_schedule.h).
#include "train/selection_schedule.h"

#include <algorithm>
#include <cmath>

namespace cromss {

double ramp_value(RampFunction fn, int epoch, int rmdown_epoch) {
  if (fn == RampFunction::none || rmdown_epoch == 0) return 1.0;
  const double n = rmdown_epoch;
  if (fn == RampFunction::linear) return std::min(std::max(epoch, 0) / n, 1.0);
  const double phase = 1.0 - std::clamp(static_cast<double>(epoch), 0.0, n) / n;
  return std::exp(-5.0 * phase * phase);
}

SelectionSchedule selection_schedule(const ObjectiveConfig& config, int epoch) {
  SelectionSchedule s;
  s.ramp =
      ramp_value(config.sample_selection_rmup_func, epoch, config.sample_selection_rmdown_epoch);
  s.ramping = epoch <= config.sample_selection_rmdown_epoch;
  s.ratio = s.ramping ? 1.0 - s.ramp * (1.0 - config.sample_selection_prop)
                      : config.sample_selection_prop;
  return s;
}

}  // namespace cromss
