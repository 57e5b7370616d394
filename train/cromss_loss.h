// Autograd entry of the CromSS objective for the training loop: evaluates
// train/cromss_objective.h once and records ONE tape node whose backward returns the precomputed
// dL/dlogits of both branches scaled by the incoming scalar gradient (masks and teacher
// distributions are detached, spec §4.5, so the gradient is known at forward time).
#pragma once

#include "engine/tensor.h"
#include "train/cromss_objective.h"

namespace cromss {

// Returns the scalar loss as a one-element f32 tensor (shape {}) on the logits' device. If
// `details` is given it receives every intermediate (for logging: loss_seg, loss_con, ...).
Tensor cromss_loss(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                   const Tensor& prior, int epoch, const ObjectiveConfig& config,
                   ObjectiveResult* details = nullptr);

// Single-branch variant (single-modal pretraining: CE + Dice, no selection, no consistency).
Tensor single_branch_loss(const Tensor& logits, const Tensor& labels, const Tensor& prior,
                          const ObjectiveConfig& config);

}  // namespace cromss
