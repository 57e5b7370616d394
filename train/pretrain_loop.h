// `cromss pretrain`: the CromSS training loop (method-spec.md §4.5, §5; issue 6). One process per
// device; with mpirun/srun each rank trains on its shard of the epoch order and gradients are
// averaged.
//
// Per optimizer step (accumulate_grad_batches = k micro-batches):
//   for each micro-batch: BN buffers broadcast from rank 0 (method-spec.md §9.31) -> forward both
//   branches
//   -> cromss_loss (epoch 0-based) / k (* fp16 loss scale) -> backward into the flat gradients
//   -> low-precision grads folded into fp32 (so the window accumulates in fp32)
//   then: all-reduce mean -> unscale/check -> optimizer step (skipped on overflow) -> scaler
//   update.
// With several ranks the all-reduce runs in parameter-aligned buckets (comm/distributed.h
// GradientBuckets). In fp32, during the backward of a window's last micro-batch each bucket is
// launched as soon as the autograd reports all its parameters' gradients final
// (LeafGradReadyScope), overlapping the rest of backward; the rest (mixed precision, whose
// gradients reach the fp32 buffer only after backward, and parameters that got no gradient) is
// launched at the optimizer step, which waits for all buckets before unscaling.
// Per epoch: validation on the held-out split (v_loss of method-spec.md §2.5, v1_*/v2_* confusion
// metrics against the noisy labels and, on synthetic data, v1_clean_*/v2_clean_* against the clean
// ones), the LR schedule step (ROP on v_loss; single-modal: max mode on v_miou as upstream script
// 1), one row in metrics.jsonl/metrics.csv, last.h5, periodic checkpoints, PNG panels. Training
// logs per epoch (means over the epoch's micro-batches): tr_segloss_1, tr_segloss_2, tr_segloss,
// tr_conloss_2t (S1<-S2, before the weight), tr_conloss_2i (S2<-S1), tr_conloss (their sum),
// tr_loss, and on synthetic data tr_selprec_1/2 (share of the segmentation weight W_l^(d) on pixels
// whose noisy label equals the clean label). Preemption (SIGTERM/SIGUSR1) and --max_steps stop
// after the current optimizer step with last.h5 holding the exact data position, so --resume
// continues bit-identically on the CPU.
#pragma once

#include <cstdint>
#include <string>

#include "train/pretrain_config.h"

namespace cromss {

struct PretrainRunOptions {
  // Stop (as on preemption: last.h5, exit 0) after this many optimizer steps in total; 0: none.
  int64_t max_steps = 0;
  // Where the run writes (params.txt, checkpoints/, metrics, pictures/); empty: run_dir(cfg).
  std::string run_dir;
  bool quiet = false;  // no progress bar
  // Cross-modal entangling of the selection confidences (method-spec.md §4.2;
  // ObjectiveConfig::entangle). Not an upstream option: off is the "selection without entangling"
  // ablation of tools/method_experiment.sh. Recorded as "entangle" in params.txt and the checkpoint
  // config.
  bool entangle = true;
  // Reliability options (issue 11, docs/reliability.md): start over in a run directory that
  // holds checkpoints (deleting them and the metrics); load a checkpoint holding NaN/Inf; score
  // validation on whole --test_batch_size batches only, as upstream (default: every held-out
  // sample, the last partial batch included; recorded as "upstream_drop_last" in params.txt).
  bool overwrite = false;
  bool allow_nonfinite = false;
  bool upstream_drop_last = false;
};

struct PretrainResult {
  int64_t step = 0;         // optimizer steps taken in total
  int64_t epochs_done = 0;  // completed epochs
  bool stopped = false;     // ended early by a signal or --max_steps
  std::string run_dir;
  std::string last_checkpoint;  // empty when none was written (non-main rank)
};

PretrainResult run_pretrain(const PretrainConfig& cfg, const PretrainRunOptions& options = {});

}  // namespace cromss
