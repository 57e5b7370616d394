#!/usr/bin/env bash
# One command for a machine with a GPU: build, run the gpu-labelled tests, run them again under
# compute-sanitizer (memcheck), run the benchmarks (CUDA ones register only when a device is
# present) and print one summary table. Usage: bench/gpu_check.sh [LOG_DIR] (default gpu_check/).
# Exit status is non-zero when any step fails; the table says which.
set -uo pipefail
cd "$(dirname "$0")/.."
log_dir="${1:-gpu_check}"
mkdir -p "$log_dir"
export PATH="/usr/local/cuda/bin:$PATH"
declare -a rows
status=0

step() {  # step NAME LOGFILE COMMAND...
  local name="$1" log="$2"
  shift 2
  local t0=$(date +%s)
  if "$@" >"$log_dir/$log" 2>&1; then
    rows+=("$(printf '%-28s %-6s %5ss  %s' "$name" ok $(( $(date +%s) - t0 )) "$log_dir/$log")")
  else
    rows+=("$(printf '%-28s %-6s %5ss  %s' "$name" FAIL $(( $(date +%s) - t0 )) "$log_dir/$log")")
    status=1
  fi
}

arch="${CUDA_ARCHS:-}"
if [ -z "$arch" ] && command -v nvidia-smi >/dev/null; then
  arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
fi
nvidia-smi >"$log_dir/nvidia_smi.txt" 2>&1
step "build (arch ${arch:-90})" build.log env CUDA_ARCHS="${arch:-90}" bash tools/build.sh -DCROMSS_CUDA=ON
step "gpu tests" gpu_tests.log bash -c "cd build && ctest -L gpu --output-on-failure"
if command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck" sanitizer.log \
    compute-sanitizer --tool memcheck --error-exitcode 1 build/tests/cromss_gpu_tests
else
  rows+=("$(printf '%-28s %-6s' "compute-sanitizer" skip)")
fi
step "benchmarks" bench.log build/bench/cromss_bench --benchmark_min_time=0.2 \
  --benchmark_out="$log_dir/bench.json" --benchmark_out_format=json
# End-to-end training step, cromss and PyTorch with the same settings (PEAK_TFLOPS: MFU).
e2e=(--model_type resnet50 --batch_size 16 --crop_size 256 --steps 20 --warmup 2
     --peak_tflops "${PEAK_TFLOPS:-0}")
step "cromss bench (e2e step)" cromss_step.log build/cromss bench "${e2e[@]}" --fusion_type mid \
  --device cuda --precision bf16 --json "$log_dir/cromss_step.json"
if [ -f tools/pytorch_baseline.py ] && python3 -c "import torch" 2>/dev/null; then
  step "pytorch baseline" pytorch.log python3 tools/pytorch_baseline.py "${e2e[@]}" \
    --device cuda --amp bf16 --json "$log_dir/pytorch_step.json"
fi

echo
echo "== cromss gpu_check: $(head -1 "$log_dir/nvidia_smi.txt" 2>/dev/null) =="
printf '%s\n' "${rows[@]}"
echo
echo "gpu tests: $(grep -E 'tests passed|tests failed' "$log_dir/gpu_tests.log" | tail -1)"
echo "benchmarks (name, time, throughput):"
grep -E '^BM_' "$log_dir/bench.log" | awk '{printf "  %-50s %12s %s %s\n", $1, $2, $3, $NF}' | head -80
echo "end-to-end step (resnet50 mid, batch 16, crop 256, bf16, 20 steps):"
printf '  %-10s %14s %10s %16s\n' "" "ms/step (med)" "pairs/s" "peak memory MiB"
for pair in "cromss:cromss_step.log" "pytorch:pytorch.log"; do
  name="${pair%%:*}" log="$log_dir/${pair#*:}"
  [ -f "$log" ] || continue
  printf '  %-10s %14s %10s %16s\n' "$name" \
    "$(awk '/ms\/step/ {print $3}' "$log")" "$(awk '/pairs\/s/ {print $2}' "$log")" \
    "$(awk '/peak memory/ {print $3}' "$log")"
done
exit $status
