// Autograd entry of the CromSS objective for the training loop: evaluates
// train/cromss_objective.h once and records ONE tape node whose backward runs the objective's
// gradient pass times the incoming scalar gradient (masks and teacher distributions are
// detached, method-spec.md §4.5, so nothing else is needed). Nothing here waits for the device: the
// loss stays a device tensor, and the gradient is scaled by the upstream gradient on the device.
#pragma once

#include "engine/tensor.h"
#include "train/cromss_objective.h"

namespace cromss {

// Returns the scalar loss as a one-element tensor (shape {}; f32, f64 for f64 logits) on the
// logits' device. `details`, if given, receives every intermediate, the losses and the unscaled
// dL/dlogits (a read-out: it waits for the device; tests and tools). `step_losses`, if given,
// receives the evaluation's read-out on the device (StepLosses layout) without waiting: the
// training loop copies it to the host asynchronously and reads it a step later.
Tensor cromss_loss(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                   const Tensor& prior, int epoch, const ObjectiveConfig& config,
                   ObjectiveResult* details = nullptr, Tensor* step_losses = nullptr);

// Single-branch variant (single-modal pretraining: CE + Dice, no selection, no consistency).
Tensor single_branch_loss(const Tensor& logits, const Tensor& labels, const Tensor& prior,
                          const ObjectiveConfig& config, Tensor* step_losses = nullptr);

}  // namespace cromss
