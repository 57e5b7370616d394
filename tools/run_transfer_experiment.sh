#!/usr/bin/env bash
# Does CromSS pretraining help downstream? (issue 14 item 6; docs/results.md, "Does the
# pretraining transfer?"). On synthetic data only: one short CromSS pretraining (ResNet-18, mid
# fusion, noisy labels) on `cromss data synth` locations, then `cromss finetune` on a separate
# synthetic SSL4EO-S12@DW training LMDB (different locations, DW's 9 classes, ignore label 255)
# from
#   cromss  the pretrained S2 encoder (--pretrain_tag mfs2 --weight_path .../last.h5)
#   random  a randomly initialised encoder (--pretrain_tag rand)
# each frozen (efix, upstream's "Frozen") and trained (etr, upstream's "Fine-tuned"), with
# DeepLabV3+ as upstream's DW runs, for every seed in $SEEDS (default "42 43 44": the seed draws
# the decoder (and random encoder) init, sample order and augmentation; the pretraining is shared).
# Every fine-tuned last.h5 is scored by `cromss evaluate --json` on a synthetic DW test LMDB;
# prints a markdown table of mean ± sample standard deviation over seeds of mIoU and OA.
# Tiny settings so it runs in minutes on 2 CPU cores: 64 px crops, batch 4, PT_EPOCHS (2)
# pretraining epochs, FT_EPOCHS (4) fine-tuning epochs: cosine decay over FT_EPOCHS - 1, then flat
# at 1e-5 (as upstream's 40 of 50).
# Usage: [SEEDS="42 43 44"] [PT_EPOCHS=2] [FT_EPOCHS=4] tools/run_transfer_experiment.sh \
#          [CROMSS_BINARY] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
cromss=${1:-./build/cromss}
out=${2:-runs/transfer}
seeds=${SEEDS:-42 43 44}
ft_epochs=${FT_EPOCHS:-4}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
rm -rf "$out" && mkdir -p "$out"
run() { echo "== cromss $*" >&2; "$cromss" "$@"; }

run data synth --out "$out/pre" --n 32 --seed 3 --size 128 --noise 0.3 --threads 1 >/dev/null
run data synth --out "$out/train" --n 16 --seed 11 --size 128 --downstream DW --threads 1 >/dev/null
run data synth --out "$out/test" --n 8 --seed 12 --size 128 --downstream DW --threads 1 >/dev/null
run pretrain --data_path "$out/pre" --input_type s12 --fusion_type mid --model_type resnet18 \
  --crop_size 64 --batch_size 8 --test_batch_size 8 --validation 0.25 \
  --epochs "${PT_EPOCHS:-2}" --sample_selection_rmdown_epoch 1 --accelerator cpu \
  --num_workers 1 --display_interval 1000 --save_interval 1000 --seed 42 \
  --run_dir "$out/pretrain" 2>&1 | tail -1

common=(--dataset DW --train_path "$out/train/synth_dw_lmdb" --test_path "$out/test/synth_dw_lmdb"
        --model_type resnet18 --input_type s2 --epochs "$ft_epochs"
        --scheduler_values "$((ft_epochs - 1))"
        --batch_size 4 --test_batch_size 8 --crop_size 64 --accelerator cpu --num_workers 1
        --quiet)
declare -A encoder=(
  [cromss]="--pretrain_tag mfs2 --weight_path $out/pretrain/checkpoints/last.h5"
  [random]="--pretrain_tag rand"
)
for seed in $seeds; do
  for enc in cromss random; do
    for tag in efix etr; do
      dir="$out/$enc/$tag/seed_$seed" && mkdir -p "$out/$enc/$tag"
      # shellcheck disable=SC2086
      run finetune "${common[@]}" ${encoder[$enc]} --encoder_finetune_tag "$tag" --seed "$seed" \
        --run_dir "$dir" >"$dir.log" 2>&1 || { tail -5 "$dir.log"; exit 1; }
      run evaluate --ckpt "$dir/checkpoints/last.h5" --dataset DW \
        --test_path "$out/test/synth_dw_lmdb" --json "$dir/eval.json" >/dev/null
    done
  done
done

# shellcheck disable=SC2086  # one argument per seed
python3 - "$out" $seeds <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
def cell(enc, tag, key):
    v = [json.load(open(f"{out}/{enc}/{tag}/seed_{s}/eval.json"))[key] for s in seeds]
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return f"{statistics.mean(v):.3f} ± {sd:.3f}"
print(f"\nmean ± sample std over seeds {' '.join(seeds)}\n")
print("| encoder | mIoU frozen (efix) | mIoU fine-tuned (etr) | OA frozen (efix) "
      "| OA fine-tuned (etr) |")
print("|---|---|---|---|---|")
for enc in ["cromss", "random"]:
    print(f"| {enc} | {cell(enc, 'efix', 'miou')} | {cell(enc, 'etr', 'miou')} | "
          f"{cell(enc, 'efix', 'oa')} | {cell(enc, 'etr', 'oa')} |")
PY
