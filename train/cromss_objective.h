// The CromSS objective as one pure function (spec §2, §3.2, §4): from raw logits of both branches,
// the hard noisy labels and the label prior it computes every intermediate (smoothed targets,
// entangled confidences, class-wise thresholds, selection weights), the losses and dL/dlogits of
// both branches, with masks and teacher distributions detached (spec §4.5). CPU (f32, or f64 for
// gradient checks) and CUDA (f32/f64/bf16/f16 logits, fp32 math) give the same results within
// the tolerance policy. train/cromss_loss.h wraps it as one autograd node.
//
// Conventions: branch 0 is S1, branch 1 is S2. loss_con[0] is L_con^(1<-2) (S1 pulled toward S2,
// weighted by weight_con[1], the teacher's W_e), loss_con[1] is L_con^(2<-1); both are reported
// before the factor --consist_loss_weight, which `loss` includes.
#pragma once

#include "engine/tensor.h"
#include "train/objective_config.h"

namespace cromss {

enum class ObjectiveMode {
  training,    // spec §2, §4
  validation,  // spec §2.5: hard labels, no smoothing, no selection
};

struct ObjectiveResult {
  Tensor target;                        // (B,C,H,W) smoothed (or one-hot) target
  Tensor conf_label[2], conf_pred[2];   // (B,H,W) entangled label / prediction confidences
  Tensor threshold[2];                  // (C) theta_c, 0 where k = 0 or without selection
  Tensor weight_seg[2], weight_con[2];  // (B,H,W) W_l^(d) and W_e^(d)
  double selection_ratio = 1;           // r(e); 1 without selection
  double loss_seg[2] = {0, 0};          // CE_w + Dice_w per branch
  double loss_con[2] = {0, 0};          // consistency terms, before the weight lambda
  double loss = 0;
  Tensor grad_logits[2];  // dL/dlogits, (B,C,H,W)
};

// logits (B,C,H,W) on one device; labels (B,H,W) any integer dtype with values in 0..C-1;
// prior (B,C,H,W), required when config.needs_prior() in training mode (may be undefined
// otherwise). Arrays come back on the logits' device in f32 (f64 for f64 CPU logits).
ObjectiveResult cromss_objective(const Tensor& logits_s1, const Tensor& logits_s2,
                                 const Tensor& labels, const Tensor& prior, int epoch,
                                 const ObjectiveConfig& config,
                                 ObjectiveMode mode = ObjectiveMode::training);

// Single-modal variant (spec §1.5 / pretraining of one branch): CE + Dice per --loss_type with
// the config's target smoothing, no selection, no consistency. Returns loss and dL/dlogits.
struct SingleBranchResult {
  double loss = 0;
  Tensor grad_logits;
};
SingleBranchResult single_branch_objective(const Tensor& logits, const Tensor& labels,
                                           const Tensor& prior, const ObjectiveConfig& config);

// Checks shapes, dtypes and label range; throws ValueError naming the offending input.
void check_objective_inputs(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                            const Tensor& prior, bool prior_required);

}  // namespace cromss
