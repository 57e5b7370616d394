// Learning-rate schedules of `--lr_adjust_type` (method-spec.md §5), stepped once per epoch after
// validation, with torch.optim.lr_scheduler semantics:
//   rop  ReduceLROnPlateau(mode, factor 0.5, patience = --lr_adjust, threshold 1e-4 'rel',
//        cooldown 0, min_lr 0, eps 1e-8) on the epoch's monitored value (v_loss, mode min; the
//        single-modal script monitors v_miou in max mode, method-spec.md §1.5). A NaN value is
//        never "better" and counts as a bad epoch, as in torch.
//   exp  ExponentialLR(gamma = --lr_adjust): lr *= gamma every step (the value is ignored).
//   none the rate never changes.
// State (save/load) as 0-d f64 tensors under "<prefix><name>": lr, best, num_bad_epochs,
// cooldown_counter, last_epoch.
#pragma once

#include <map>
#include <string>

#include "engine/tensor.h"

namespace cromss {

enum class LrScheduleKind { none, rop, exp };
enum class PlateauMode { min, max };

struct LrScheduleConfig {
  LrScheduleKind kind = LrScheduleKind::rop;
  PlateauMode mode = PlateauMode::min;
  double factor = 0.5;
  int64_t patience = 30;
  double threshold = 1e-4;  // relative
  int64_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;    // reductions smaller than this are ignored (torch)
  double gamma = 0.95;  // exp
};

// Upstream's `--lr_adjust_type rop|exp|none` with `--lr_adjust value` (patience for rop, gamma
// for exp); throws ValueError naming the flag otherwise.
LrScheduleConfig lr_schedule_config_for(const std::string& type, double lr_adjust,
                                        PlateauMode mode = PlateauMode::min);

class LrSchedule {
 public:
  LrSchedule(const LrScheduleConfig& config, double initial_lr);

  // One epoch's step with the monitored value (ignored by exp and none); returns the new rate.
  double step(double monitored);
  double lr() const { return lr_; }
  const LrScheduleConfig& config() const { return config_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }

  void save(std::map<std::string, Tensor>& out, const std::string& prefix = "") const;
  void load(const std::map<std::string, Tensor>& in, const std::string& prefix = "");

 private:
  bool is_better(double a, double best) const;

  LrScheduleConfig config_;
  double lr_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
};

}  // namespace cromss
