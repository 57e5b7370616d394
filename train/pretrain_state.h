// The training state of a `cromss pretrain` checkpoint beside /model (train/checkpoint.h,
// DESIGN.md "Files people exchange"):
//   /step                           0-d int64, optimizer steps taken (find_resume_checkpoint
//                                   requires it)
//   /epoch                          0-d int64, the epoch the data position refers to (0-based)
//   /data/batches_consumed          0-d int64, this rank's micro-batches of that epoch already
//                                   trained on (the order is a pure function of seed/epoch/rank)
//   /data/epoch_sums                f64[n], the epoch's running sums of the training logs
//   /rng/seed                       0-d int64 (every random choice is counter-based on it)
//   /optimizer/<state>/<net.key>    Optimizer::save_sliced (+ /optimizer/step)
//   /scaler/*, /scheduler/*         LossScaler::save, LrSchedule::save
// A checkpoint is only written at an optimizer-step boundary, so no partial accumulation exists.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/hdf5_file.h"
#include "layers/parameter_store.h"
#include "train/loss_scaler.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace cromss {

struct TrainPosition {
  int64_t epoch = 0;    // epoch to continue in
  int64_t batches = 0;  // micro-batches of that epoch already consumed on this rank
  int64_t step = 0;     // optimizer steps so far
  std::vector<double> epoch_sums;
  // Where a checkpoint written at the end of an epoch resumes: the start of `next_epoch`,
  // nothing consumed, sums zeroed (same count); step unchanged.
  TrainPosition start_of(int64_t next_epoch) const {
    return {next_epoch, 0, step, std::vector<double>(epoch_sums.size(), 0.0)};
  }
};

// The optimizer's flat layout in checkpoint names ("net." + state key).
std::vector<FlatSlice> checkpoint_slices(const ParameterStore& store);

void write_training_state(H5File& file, const TrainPosition& pos, uint64_t seed,
                          const Optimizer& optimizer, const std::vector<FlatSlice>& slices,
                          const LossScaler& scaler, const LrSchedule& schedule);
// Restores optimizer, scaler and schedule; returns the position. ValueError naming the file when
// the training groups are missing (e.g. an exported weights-only file: use --pre-train).
TrainPosition read_training_state(const H5File& file, uint64_t seed, Optimizer& optimizer,
                                  const std::vector<FlatSlice>& slices, LossScaler& scaler,
                                  LrSchedule& schedule);

}  // namespace cromss
