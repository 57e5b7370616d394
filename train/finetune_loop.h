// `cromss finetune`: the fine-tuning loop of spec §7 (upstream train_SSL4EO_pl_ft_*.py with
// pl_finetune.py / pl_finetune_mask.py) for a DownstreamConfig model (PSPNet, DeepLabV3+, FPN,
// U-Net) on a DFC2020 / SSL4EO-S12@DW / @OSM training LMDB.
//
// Model: smp's initialisation (seed --seed), then the encoder of --pretrain_tag copied from
// --weight_path (train/encoder_transfer.h; rand: none). Encoder: --encoder_finetune_tag efix
// freezes its parameters (no gradients, no optimizer: torch's Adam skips parameters without
// gradients); BN running statistics still update as upstream, since the model stays in train
// mode, unless --freeze_bn also keeps the frozen encoder's BN layers in eval mode. etr trains
// everything; eft freezes until epoch --encoder_finetune_epoch, then the encoder gets its own
// optimizer (its moments and step count start then, as torch's per-parameter Adam state would).
// Per epoch: lr = FinetuneConfig::lr_at_epoch (cosine to 1e-5 over 40 epochs, then flat); the
// shuffled training samples in whole batches (drop_last) of the §7.2 crop/flip/rotation
// (data/downstream_batch.h); loss CE + Dice with ignore index 255 for DW/OSM
// (train/finetune_loss.h); dropout masks keyed by (seed, step, layer), so that a resumed run draws
// the same ones; then the test set is scored as upstream's `--validation 0` does
// (every test sample, train/evaluate.h) and one row goes to metrics.jsonl/metrics.csv:
// epoch, step, lr, tr_loss, tr_ce, tr_dice, pairs_per_s, v_oa, v_aa and the v_* scores of
// train/metrics.h (named_scores).
//
// Shared with pretraining (train/pretrain_loop.h): device and precision (train/training_setup.h,
// mixed precision on a GPU by default as upstream's AMP), the weights, optimizer step, fp16 loss
// scaler and MPI/NCCL gradient all-reduce (train/trainable_weights.h), the run directory with its
// lock, params.txt, metrics files and checkpoints (train/run_dir.h, written atomically by
// train/checkpoint.h, every --save_interval epochs plus last.h5), --resume PATH|auto with the
// exact data position (train/pretrain_state.h), SIGTERM/SIGUSR1 and --max_steps stops after the
// current step with last.h5 written, and the NaN/Inf checks of train/finite_checks.h.
#pragma once

#include <cstdint>
#include <string>

#include "train/finetune_config.h"

namespace cromss {

struct FinetuneRunOptions {
  int64_t max_steps = 0;   // stop (as on preemption) after this many optimizer steps; 0: none
  std::string run_dir;     // "" : FinetuneConfig::run_dir()
  bool quiet = false;      // no progress bar
  bool overwrite = false;  // start over in a run directory that holds checkpoints
  bool allow_nonfinite = false;
};

struct FinetuneResult {
  int64_t step = 0;
  int64_t epochs_done = 0;
  bool stopped = false;
  std::string run_dir;
  std::string last_checkpoint;  // empty on non-main ranks
};

// cfg must have had apply_dataset_defaults() called.
FinetuneResult run_finetune(const FinetuneConfig& cfg, const FinetuneRunOptions& options = {});

}  // namespace cromss
