// Flag parsing and validation of the CromSS objective options (see train/objective_config.h).
#include "train/objective_config.h"

#include "core/error.h"
#include "train/pretrain_config.h"

namespace cromss {

bool ObjectiveConfig::use_ce() const {
  return loss_type.find('c') != std::string::npos;
}
bool ObjectiveConfig::use_dice() const {
  return loss_type.find('d') != std::string::npos;
}

void ObjectiveConfig::validate() const {
  for (char ch : loss_type)
    CROMSS_CHECK(ch == 'c' || ch == 'd',
                 "--loss_type: letters c (cross entropy) and d (Dice) are supported, got '{}'",
                 loss_type);
  CROMSS_CHECK(!loss_type.empty(), "--loss_type must name at least one loss (c, d)");
  CROMSS_CHECK(!label_smoothing || !label_smoothing_factor.empty(),
               "--label_smoothing needs --label_smoothing_factor a [b] (upstream: IndexError)");
  CROMSS_CHECK(sample_selection_prop >= 0 && sample_selection_prop <= 1,
               "--sample_selection_prop must be in [0, 1], got {}", sample_selection_prop);
  CROMSS_CHECK(sample_selection_rmdown_epoch >= 0,
               "--sample_selection_rmdown_epoch must be >= 0, got {}",
               sample_selection_rmdown_epoch);
}

TargetWeights target_weights(const ObjectiveConfig& config) {
  if (!config.label_smoothing) return {1, 0, 0};
  const auto& f = config.label_smoothing_factor;
  const double a = f.at(0);
  if (config.label_smoothing_prior_type == PriorType::none) return {1 - a, 0, a};
  if (f.size() == 1) return {1 - a, a, 0};
  return {1 - a - f[1], a, f[1]};
}

ObjectiveConfig objective_config(const PretrainConfig& p) {
  ObjectiveConfig c;
  c.loss_type = p.loss_type;
  c.consist_loss_type = parse_consistency_kind(p.consist_loss_type);
  c.consist_loss_weight = p.consist_loss_weight;
  c.label_smoothing = p.label_smoothing;
  c.label_smoothing_factor = p.label_smoothing_factor;
  c.label_smoothing_prior_type = parse_prior_type(p.label_smoothing_prior_type);
  c.sample_selection = p.sample_selection;
  c.sample_selection_rmup_func = parse_ramp_function(p.sample_selection_rmup_func);
  c.sample_selection_rmdown_epoch = p.sample_selection_rmdown_epoch;
  c.sample_selection_prop = p.sample_selection_prop;
  c.sample_selection_confidence_type = parse_confidence_type(p.sample_selection_confidence_type);
  c.validate();
  return c;
}

ConsistencyKind parse_consistency_kind(const std::string& s) {
  if (s == "ce") return ConsistencyKind::ce;
  if (s == "kl") return ConsistencyKind::kl;
  if (s == "mse") return ConsistencyKind::mse;
  if (s == "none") return ConsistencyKind::none;
  CROMSS_THROW(ValueError, "--consist_loss_type: expected ce, kl, mse or none, got '{}'", s);
}

RampFunction parse_ramp_function(const std::string& s) {
  if (s == "exp") return RampFunction::exp;
  if (s == "linear") return RampFunction::linear;
  if (s == "none") return RampFunction::none;
  CROMSS_THROW(ValueError, "--sample_selection_rmup_func: expected exp, linear or none, got '{}'",
               s);
}

ConfidenceType parse_confidence_type(const std::string& s) {
  if (s == "ce") return ConfidenceType::ce;
  if (s == "gini") return ConfidenceType::gini;
  CROMSS_THROW(ValueError, "--sample_selection_confidence_type: expected ce or gini, got '{}'", s);
}

PriorType parse_prior_type(const std::string& s) {
  if (s == "ts") return PriorType::ts;
  if (s == "t") return PriorType::t;
  if (s == "s") return PriorType::s;
  if (s == "none") return PriorType::none;
  CROMSS_THROW(ValueError, "--label_smoothing_prior_type: expected ts, t, s or none, got '{}'", s);
}

}  // namespace cromss
