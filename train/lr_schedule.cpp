// LrSchedule: a line-by-line transcription of torch's ReduceLROnPlateau.step/_reduce_lr/is_better
// and ExponentialLR (torch/optim/lr_scheduler.py).
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace cromss {

LrScheduleConfig lr_schedule_config_for(const std::string& type, double lr_adjust,
                                        PlateauMode mode) {
  LrScheduleConfig c;
  c.mode = mode;
  if (type == "rop") {
    CROMSS_CHECK(lr_adjust >= 0 && lr_adjust == std::floor(lr_adjust),
                 "--lr_adjust: rop needs a non-negative integer patience, got {}", lr_adjust);
    c.kind = LrScheduleKind::rop;
    c.patience = static_cast<int64_t>(lr_adjust);
  } else if (type == "exp") {
    CROMSS_CHECK(lr_adjust > 0, "--lr_adjust: exp needs a positive gamma, got {}", lr_adjust);
    c.kind = LrScheduleKind::exp;
    c.gamma = lr_adjust;
  } else if (type == "none") {
    c.kind = LrScheduleKind::none;
  } else {
    CROMSS_THROW(ValueError, "--lr_adjust_type: expected rop, exp or none, got '{}'", type);
  }
  return c;
}

LrSchedule::LrSchedule(const LrScheduleConfig& config, double initial_lr)
    : config_(config), lr_(initial_lr) {
  const double inf = std::numeric_limits<double>::infinity();
  best_ = config_.mode == PlateauMode::min ? inf : -inf;
}

bool LrSchedule::is_better(double a, double best) const {
  if (config_.mode == PlateauMode::min) return a < best * (1.0 - config_.threshold);
  return a > best * (config_.threshold + 1.0);
}

double LrSchedule::step(double monitored) {
  last_epoch_ += 1;
  if (config_.kind == LrScheduleKind::exp) {
    lr_ *= config_.gamma;
    return lr_;
  }
  if (config_.kind == LrScheduleKind::none) return lr_;
  if (is_better(monitored, best_)) {
    best_ = monitored;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (cooldown_counter_ > 0) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;
  }
  if (num_bad_epochs_ > config_.patience) {
    const double new_lr = std::max(lr_ * config_.factor, config_.min_lr);
    if (lr_ - new_lr > config_.eps) lr_ = new_lr;
    cooldown_counter_ = config_.cooldown;
    num_bad_epochs_ = 0;
  }
  return lr_;
}

void LrSchedule::save(std::map<std::string, Tensor>& out, const std::string& prefix) const {
  auto put = [&](const char* name, double v) {
    out[prefix + name] = Tensor::full({}, v, DType::f64);
  };
  put("lr", lr_);
  put("best", best_);
  put("num_bad_epochs", static_cast<double>(num_bad_epochs_));
  put("cooldown_counter", static_cast<double>(cooldown_counter_));
  put("last_epoch", static_cast<double>(last_epoch_));
}

void LrSchedule::load(const std::map<std::string, Tensor>& in, const std::string& prefix) {
  auto get = [&](const char* name) {
    auto it = in.find(prefix + name);
    CROMSS_CHECK(it != in.end() && it->second.numel() == 1,
                 "scheduler state: missing or non-scalar entry '{}{}'", prefix, name);
    return it->second.item();
  };
  lr_ = get("lr");
  best_ = get("best");
  num_bad_epochs_ = static_cast<int64_t>(get("num_bad_epochs"));
  cooldown_counter_ = static_cast<int64_t>(get("cooldown_counter"));
  last_epoch_ = static_cast<int64_t>(get("last_epoch"));
}

}  // namespace cromss
