#!/usr/bin/env bash
# Does the method work? (issue 6 item 9). Three pretraining runs with the same budget on the same
# synthetic data (~30 % structured label noise: boundary shifts, confusions of similar classes,
# region flips; clean labels kept for evaluation, docs/data.md):
#   cromss        selection + label smoothing + consistency (upstream README CromSS settings)
#   noisy         plain noisy-label training: --no-sample_selection --no-label_smoothing
#                 --consist_loss_type none (same CE + Dice segmentation loss)
#   no_entangle   CromSS without cross-modal entangling of the confidences (--no-entangle)
# Tiny settings (ResNet-18 U-Net, 64 px crops, batch 8, 10 epochs, selection ramp-down over 5
# epochs instead of 80). Prints a markdown table of clean-label mIoU per branch (v1 = S1, v2 = S2,
# on the validation split) and the selection precision (share of the segmentation weight on
# pixels whose noisy label is right; 1 - noise rate when nothing is selected) per epoch.
# Each configuration runs once per seed in $SEEDS (the seed draws the model init, the sample order
# and the validation split; default "42 43 44"); EPOCHS (10) and RMDOWN (5,
# --sample_selection_rmdown_epoch) scale the budget; the per-epoch table is the first seed's, the summary averages the last 3 epochs
# over seeds (mean ± sample standard deviation across seeds).
# Usage: [SEEDS="42 43 44"] [EPOCHS=10] [RMDOWN=5] tools/method_experiment.sh [CROMSS_BINARY] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
cromss=${1:-./build/cromss}
out=${2:-runs/method}
seeds=${SEEDS:-42 43 44}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -rf "$out" && mkdir -p "$out"
"$cromss" data synth --out "$out/data" --n 64 --seed 3 --noise 0.3
common=(--data_path "$out/data" --input_type s12 --fusion_type mid --model_type resnet18
        --crop_size 64 --batch_size 8 --test_batch_size 8 --validation 0.25 --epochs "${EPOCHS:-10}"
        --sample_selection_rmdown_epoch "${RMDOWN:-5}" --accelerator cpu --num_workers 2
        --display_interval 5 --save_interval 100)
declare -A extra=(
  [cromss]=""
  [noisy]="--no-sample_selection --no-label_smoothing --consist_loss_type none"
  [no_entangle]="--no-entangle"
)
for seed in $seeds; do
  for name in cromss noisy no_entangle; do
    run=(pretrain "${common[@]}" --seed "$seed" ${extra[$name]} --run_dir "$out/$name/seed_$seed")
    echo "== $name: cromss ${run[*]}"
    # shellcheck disable=SC2068
    "$cromss" ${run[@]} 2>&1 | tail -1
  done
done
python3 - "$out" $seeds <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
runs = ["cromss", "noisy", "no_entangle"]
def load(r, s):
    return [json.loads(l) for l in open(f"{out}/{r}/seed_{s}/metrics.jsonl")]
rows = {r: load(r, seeds[0]) for r in runs}
cols = [("v1_clean_miou", "clean mIoU S1"), ("v2_clean_miou", "clean mIoU S2"),
        ("tr_selprec_1", "sel. prec. S1"), ("tr_selprec_2", "sel. prec. S2")]
print("| epoch | " + " | ".join(f"{r}: {c[1]}" for c in cols for r in runs) + " |")
print("|---" * (1 + len(cols) * len(runs)) + "|")
for e in range(max(len(v) for v in rows.values())):
    cells = []
    for key, _ in cols:
        for r in runs:
            v = rows[r][e].get(key) if e < len(rows[r]) else None
            cells.append("-" if v is None else f"{v:.3f}")
    print(f"| {e} | " + " | ".join(cells) + " |")
print()
print(f"Mean of the last 3 epochs, mean ± sd over seeds {' '.join(seeds)}:")
print()
print("| run | " + " | ".join(c[1] for c in cols) + " |")
print("|---" * (1 + len(cols)) + "|")
for r in runs:
    cells = []
    for key, _ in cols:
        per_seed = [statistics.mean(row[key] for row in load(r, s)[-3:]) for s in seeds]
        sd = statistics.stdev(per_seed) if len(per_seed) > 1 else 0.0
        cells.append(f"{statistics.mean(per_seed):.3f} ± {sd:.3f}")
    print(f"| {r} | " + " | ".join(cells) + " |")
PY
