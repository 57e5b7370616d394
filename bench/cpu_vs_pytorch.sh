#!/usr/bin/env bash
# cromss vs PyTorch on the CPU: one CromSS training step (middle fusion, 13 bands, fp32, batch 2,
# 2 threads) timed by `cromss bench --device cpu` and by tools/pytorch_baseline.py (Debian's
# PyTorch, whose CPU convolutions run on oneDNN too), for ResNet-50 and ResNet-18 at crops 64, 128
# and 256. The two alternate run by run (ROUNDS rounds of cromss then PyTorch per configuration)
# so that load from other processes hits both alike. Prints the CPU model, each run's median
# ms/step, the median over rounds per tool and the ratio PyTorch / cromss (> 1: cromss faster).
#
# Usage: bash bench/cpu_vs_pytorch.sh [build dir, default build]
# Environment: ROUNDS (3), STEPS timed steps per run (3), WARMUP (1), MODELS ("resnet50 resnet18"),
# CROPS ("64 128 256"), THREADS (2), PYTHON (/usr/bin/python3 with torch and torchvision),
# PROFILE (0; 1: one more cromss run per configuration under ONEDNN_VERBOSE=1, summarised by
# bench/onednn_profile.py: oneDNN time by primitive, convolution GFLOP/s, slowest shapes).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${ROUNDS:-3} steps=${STEPS:-3} warmup=${WARMUP:-1} threads=${THREADS:-2}
models=${MODELS:-resnet50 resnet18} crops=${CROPS:-64 128 256} python=${PYTHON:-/usr/bin/python3}
[ -x "$build/cromss" ] || { echo "cpu_vs_pytorch: $build/cromss not found; build first" >&2; exit 1; }
"$python" -c 'import torch, torchvision' 2>/dev/null ||
  { echo "cpu_vs_pytorch: $python lacks torch/torchvision (apt-get install python3-torch python3-torchvision)" >&2; exit 1; }
export OMP_NUM_THREADS=$threads
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores visible, $threads threads"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
common=(--model_type MODEL --n_channels 13 --batch_size 2 --crop_size CROP --steps "$steps" --warmup "$warmup")
for model in $models; do
  for crop in $crops; do
    args=("${common[@]/MODEL/$model}")
    args=("${args[@]/CROP/$crop}")
    for r in $(seq "$rounds"); do
      "$build/cromss" bench --device cpu --fusion_type mid --precision fp32 "${args[@]}" \
        --json "$out/cromss_${model}_${crop}_$r.json" >/dev/null
      "$python" tools/pytorch_baseline.py --device cpu "${args[@]}" \
        --json "$out/torch_${model}_${crop}_$r.json" >/dev/null
      echo "  $model crop $crop round $r: cromss $("$python" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["ms_per_step_median"]))' "$out/cromss_${model}_${crop}_$r.json") ms, PyTorch $("$python" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["ms_per_step_median"]))' "$out/torch_${model}_${crop}_$r.json") ms"
    done
    if [ "${PROFILE:-0}" = 1 ]; then
      echo "  $model crop $crop, oneDNN profile of one cromss run:"
      ONEDNN_VERBOSE=1 "$build/cromss" bench --device cpu --fusion_type mid --precision fp32 "${args[@]}" |
        "$python" bench/onednn_profile.py --steps $((warmup + steps)) | sed 's/^/    /'
    fi
  done
done

"$python" - "$out" "$models" "$crops" <<'PY'
import glob, json, statistics, sys
out, models, crops = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def med(tool, model, crop):
    runs = [json.load(open(f))["ms_per_step_median"]
            for f in sorted(glob.glob(f"{out}/{tool}_{model}_{crop}_*.json"))]
    return statistics.median(runs)
print("\n| model | crop | cromss ms/step | PyTorch ms/step | PyTorch / cromss |")
print("|---|---|---|---|---|")
for m in models:
    for c in crops:
        a, b = med("cromss", m, c), med("torch", m, c)
        print(f"| {m} | {c} | {a:.0f} | {b:.0f} | {b / a:.2f}x |")
PY
