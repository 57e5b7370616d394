// Options of the CromSS objective, named after upstream's flags (method-spec.md §2, §3.2, §4;
// defaults are the upstream README's CromSS values, method-spec.md §9.27): --loss_type cd,
// --consist_loss_type ce,
// --consist_loss_weight 1, --label_smoothing with factors 0.15 0.05 and prior type ts,
// --sample_selection with rmup exp, rmdown epoch 80, prop 0.5, confidence ce.
#pragma once

#include <string>
#include <vector>

#include "core/cross_rank.h"
#include "kernels/cromss_objective.cuh"
#include "kernels/cromss_prior.h"

namespace cromss {

enum class RampFunction { exp, linear, none };  // --sample_selection_rmup_func
enum class ConfidenceType { ce, gini };         // --sample_selection_confidence_type

struct ObjectiveConfig {
  std::string loss_type = "cd";  // letters: c cross entropy, d Dice (f focal is not supported)
  ConsistencyKind consist_loss_type = ConsistencyKind::ce;
  double consist_loss_weight = 1.0;
  bool label_smoothing = true;
  std::vector<double> label_smoothing_factor = {0.15, 0.05};
  PriorType label_smoothing_prior_type = PriorType::ts;
  bool sample_selection = true;
  RampFunction sample_selection_rmup_func = RampFunction::exp;
  int sample_selection_rmdown_epoch = 80;
  double sample_selection_prop = 0.5;
  ConfidenceType sample_selection_confidence_type = ConfidenceType::ce;
  // Cross-modal entangling of the confidences (method-spec.md §4.2). Not an upstream option (always
  // on there): off gives "selection without entangling" for the method experiment (issue 6 item 9).
  bool entangle = true;
  // --global_selection: the ranks of a data-parallel job to share the objective with. Set, the
  // class counts, thresholds theta_c and every loss sum (CE_w and consistency weights, Dice
  // I_c / K_c / target mass) are summed over the ranks, so the loss is that of ONE process over
  // the union of the ranks' batches, and dL/dlogits is multiplied by the world size to undo the
  // 1/world of the gradient average. Null (default): per rank, as upstream (method-spec.md §9.5).
  // Training mode only: validation stays per rank.
  CrossRankSum* ranks = nullptr;

  bool use_ce() const;    // loss_type contains 'c'
  bool use_dice() const;  // loss_type contains 'd'
  bool needs_prior() const {
    return label_smoothing && label_smoothing_prior_type != PriorType::none;
  }
  void validate() const;  // throws ValueError naming the flag
};

// Weights (w_onehot, w_prior, w_uniform) of the smoothed target t = w_onehot onehot + w_prior M
// + w_uniform / C (method-spec.md §3.2): two factors (1-a-b, a, b); one factor (1-a, a, 0); no
// prior (1-a, 0, a) with the first factor; no smoothing (1, 0, 0). Extra factors are ignored.
struct TargetWeights {
  double onehot = 1, prior = 0, uniform = 0;
};
TargetWeights target_weights(const ObjectiveConfig& config);

// The objective options of a `cromss pretrain` run (train/pretrain_config.h). Single-modal runs
// (input_type s1|s2) use single_branch_objective, which ignores selection and consistency.
struct PretrainConfig;
ObjectiveConfig objective_config(const PretrainConfig& pretrain);

ConsistencyKind parse_consistency_kind(const std::string& s);
RampFunction parse_ramp_function(const std::string& s);
ConfidenceType parse_confidence_type(const std::string& s);
PriorType parse_prior_type(const std::string& s);

}  // namespace cromss
