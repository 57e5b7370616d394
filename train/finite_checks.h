// Non-finite values never pass silently (issue 11 item 2, docs/reliability.md):
// * check_finite_loss: in fp32/bf16 a NaN/Inf training loss stops the run with a ValueError
//   naming the epoch, step and the batch's dataset indices, before any checkpoint is written (so
//   checkpoints/last.h5 keeps the last good state). It tests the loss value the loop reads back
//   from the device one micro-batch later (engine/step_readout.h: a NaN or Inf survives every sum
//   of losses, so the check rides on the existing read-out and costs no host sync); the loop
//   reads every pending value before a checkpoint and when stopping. fp16 is
//   not checked here: its loss scaler skips overflowing steps and fails after K skips in a row
//   (train/loss_scaler.h).
// * check_finite_state: before a checkpoint is written, every model tensor must be finite. A step
//   whose loss was finite can still overflow its gradients and leave NaN/Inf weights (caught by
//   the next step's loss check); when that step ends an epoch or a stop, this check keeps the
//   previous checkpoint instead of replacing it with a broken one. It reads the weights that the
//   checkpoint write copies to the host anyway.
// * check_finite_checkpoint: every floating-point dataset under /model and /optimizer of a
//   checkpoint must be finite (the scheduler's ROP "best" starts at +Inf by design), else a
//   ValueError lists each offending dataset with its NaN/Inf counts; --allow_nonfinite skips the
//   check (to inspect a broken run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/hdf5_file.h"
#include "layers/module.h"

namespace cromss {

void check_finite_loss(double loss, int64_t epoch, int64_t step,
                       const std::vector<size_t>& batch_indices);

void check_finite_state(const std::vector<NamedTensor>& state, int64_t epoch, int64_t step,
                        const std::string& checkpoint_path);

// "dataset: n NaN, m Inf of k values" for each floating dataset under /model and /optimizer
// holding non-finite values.
std::vector<std::string> nonfinite_datasets(const H5File& file);
void check_finite_checkpoint(const H5File& file);

}  // namespace cromss
