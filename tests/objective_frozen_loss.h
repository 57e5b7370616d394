// Test helper: the CromSS loss with every detached quantity held fixed (method-spec.md §4.5):
// targets, segmentation weights W_l, consistency weights W_e and the teachers' distributions come
// from a previous evaluation, so L is a smooth function of the logits alone. This is what
// dL/dlogits of train/cromss_objective.h differentiates; finite-difference checks evaluate it.
// Written with plain loops in double, independently of the kernels.
#pragma once

#include "engine/tensor.h"
#include "train/cromss_objective.h"

namespace cromss {

struct FrozenSelection {
  Tensor target;                        // (B,C,H,W)
  Tensor weight_seg[2], weight_con[2];  // (B,H,W)
  Tensor teacher_logits[2];             // (B,C,H,W): softmax(teacher_logits[d]) is branch d's
                                        // distribution as a (detached) teacher
};

FrozenSelection freeze(const ObjectiveResult& result, const Tensor& logits_s1,
                       const Tensor& logits_s2);

// L = sum_d [CE_w + Dice_w](z_d) + lambda (L_con^(1<-2) + L_con^(2<-1)) (method-spec.md §2).
double frozen_objective_loss(const Tensor& logits_s1, const Tensor& logits_s2,
                             const FrozenSelection& frozen, const ObjectiveConfig& config);

}  // namespace cromss
