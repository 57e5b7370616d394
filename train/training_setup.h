// The start of a training run, shared by `cromss pretrain` (train/pretrain_loop.h) and
// `cromss finetune` (train/finetune_loop.h):
// * setup_compute: the device and precision of train/compute_flags.h (a note when --accelerator
//   gpu finds no GPU, as upstream falls back to the CPU; under MPI each rank takes local_rank %
//   GPUs), deterministic kernels and the conv + BN fusion switch (core/conv_bn_fusion.h).
// * prepare_fresh_run_dir: a fresh run must not replace another run's checkpoints: refused unless
//   --overwrite, which deletes them and the metrics first.
// * resolve_resume_checkpoint: --resume PATH as given; --resume auto = the newest valid
//   checkpoint of the run directory (damaged files named and skipped; all damaged is an error,
//   not a fresh start).
#pragma once

#include <string>

#include "comm/distributed.h"
#include "core/device.h"
#include "core/dtype.h"
#include "train/compute_flags.h"
#include "train/precision.h"

namespace cromss {

struct ComputeSetup {
  Device device = Device::cpu();
  Precision precision = Precision::fp32;
  DType compute = DType::f32;  // the dtype the model computes in
};

// `command` names the caller in notes ("cromss pretrain").
ComputeSetup setup_compute(const ComputeFlags& flags, const Distributed& dist, const char* command);

// fresh: no --resume (or only initialising from it). Deletes or refuses existing checkpoints.
void prepare_fresh_run_dir(const std::string& run_dir, bool fresh, bool overwrite,
                           const std::string& resume, const char* command);

// "" when there is nothing to resume from (no --resume, or auto without a checkpoint yet).
std::string resolve_resume_checkpoint(const std::string& resume, const std::string& run_dir,
                                      bool is_main, const char* command);

}  // namespace cromss
