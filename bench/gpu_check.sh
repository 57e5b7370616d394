#!/usr/bin/env bash
# One command for a machine with a GPU: build (or take a bundle made by bench/gpu_bundle.sh), run
# the gpu-labelled tests, run a short CromSS pretraining on the GPU in bf16 and fp16 and resume
# it, time the end-to-end training step against PyTorch (batch 16 and 128, bf16 and fp16, PyTorch
# eager NCHW / channels_last / torch.compile; bench/e2e_table.py prints the ratios), at batch 128
# print the per-op-type time table (bf16, `cromss bench --profile_ops`), the cuDNN algorithm
# chosen for every convolution (`--print_conv_algos`) and the step with --deterministic's
# heuristic algorithms for comparison, the bf16 step with the network in nhwc (--channels_last)
# at both batches, captured as a CUDA graph (--cuda_graph) and with conv + BN as cuDNN graphs
# (--conv_bn_fusion, batch 128), run the kernel benchmarks, run the gpu tests under
# compute-sanitizer (memcheck), and print one summary table. Every step has a time limit, so the
# whole check fits a 10-minute lease on an H100/H200 (E2E_BATCHES="128", E2E_COMPILE=0,
# E2E_STREAMS=0, E2E_GRAPH=0, E2E_NHWC=0 or E2E_FUSION=0 shorten it; E2E_FUSION_BATCHES="16 128"
# also times the fusion at batch 16).
#
# Usage: bench/gpu_check.sh [LOG_DIR]                       build here with CUDA, then check
#        CROMSS_BUNDLE=DIR bench/gpu_check.sh [LOG_DIR]     use the binaries of a bundle
# LOG_DIR defaults to gpu_check/. Exit status is non-zero when any step fails; the table says which.
set -uo pipefail
cd "$(dirname "$0")/.."
log_dir="${1:-gpu_check}"
mkdir -p "$log_dir"
export PATH="/usr/local/cuda/bin:$PATH"
declare -a rows
status=0

step() {  # step NAME LOGFILE TIME_LIMIT_S COMMAND...
  local name="$1" log="$2" limit="$3"
  shift 3
  local t0=$(date +%s) result=ok
  timeout "$limit" "$@" >"$log_dir/$log" 2>&1
  case $? in
    0) ;;
    124) result=TIMEOUT status=1 ;;
    *) result=FAIL status=1 ;;
  esac
  rows+=("$(printf '%-34s %-7s %5ss  %s' "$name" "$result" $(( $(date +%s) - t0 )) "$log")")
}

nvidia-smi >"$log_dir/nvidia_smi.txt" 2>&1
if [ -n "${CROMSS_BUNDLE:-}" ]; then
  source "$CROMSS_BUNDLE/env.sh"
  bin="$CROMSS_BUNDLE/bin"
  cromss="$bin/cromss" gpu_tests="$bin/cromss_gpu_tests" kernel_bench="$bin/cromss_bench"
  step "libraries resolve (ldd)" ldd.log 30 bash -c \
    "ldd $bin/* | tee /dev/stderr | grep -q 'not found' && exit 1 || exit 0"
else
  arch="${CUDA_ARCHS:-}"
  if [ -z "$arch" ] && command -v nvidia-smi >/dev/null; then
    arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
  fi
  step "build (arch ${arch:-90})" build.log 1800 \
    env CUDA_ARCHS="${arch:-90}" bash tools/build.sh -DCROMSS_CUDA=ON
  cromss=build/cromss gpu_tests=build/tests/cromss_gpu_tests kernel_bench=build/bench/cromss_bench
fi

step "gpu tests" gpu_tests.log 150 "$gpu_tests" --gtest_output="xml:$log_dir/gpu_tests.xml"

# A short CromSS pretraining on the GPU (mid fusion, ResNet-18, 64 px): bf16, fp16 with the
# loss scaler, and a resume from the bf16 run's last checkpoint.
run_dir="$log_dir/pretrain"
pretrain=(pretrain --data_path "$run_dir/data" --input_type s12 --fusion_type mid
          --model_type resnet18 --crop_size 64 --batch_size 8 --test_batch_size 8
          --validation 0.125 --sample_selection_rmdown_epoch 1 --display_interval 2
          --save_interval 1 --accelerator gpu --num_workers 4)
step "data synth (64 locations)" synth.log 30 "$cromss" data synth --out "$run_dir/data" --n 64 --seed 42
step "pretrain bf16 (2 epochs)" pretrain_bf16.log 60 "$cromss" "${pretrain[@]}" \
  --save_dir "$run_dir/bf16" --epochs 2 --precision bf16 --overwrite
step "pretrain bf16 resume (+1 epoch)" pretrain_resume.log 45 "$cromss" "${pretrain[@]}" \
  --save_dir "$run_dir/bf16" --epochs 3 --precision bf16 --resume auto
step "pretrain fp16 (2 epochs)" pretrain_fp16.log 60 "$cromss" "${pretrain[@]}" \
  --save_dir "$run_dir/fp16" --epochs 2 --precision fp16 --overwrite

# End-to-end training step at the paper's batch (128) and at 16, bf16 and fp16: cromss against
# PyTorch eager NCHW, eager channels_last and torch.compile channels_last (where it works), each
# pairing run back to back on this GPU (PEAK_TFLOPS overrides the detected card's peak for MFU).
e2e=(--model_type resnet50 --crop_size 256 --peak_tflops "${PEAK_TFLOPS:-0}")
e2e_dir="$log_dir/e2e"
mkdir -p "$e2e_dir"
have_torch=0
python3 -c "import torch, torchvision" 2>/dev/null && have_torch=1
for batch in ${E2E_BATCHES:-16 128}; do
  steps=$(( batch >= 64 ? 10 : 20 ))
  for precision in bf16 fp16; do
    tag="b${batch}_$precision"
    # At the paper's batch: the cuDNN choices, and for bf16 the op table (as many extra steps).
    extra=()
    [ "$batch" = 128 ] && extra+=(--print_conv_algos)
    [ "$batch" = 128 ] && [ "$precision" = bf16 ] && extra+=(--profile_ops)
    step "cromss bench ($tag${extra[*]:+ ${extra[*]}})" "e2e/cromss_$tag.log" 150 "$cromss" bench \
      "${e2e[@]}" --fusion_type mid --device cuda --precision "$precision" --batch_size "$batch" \
      --steps "$steps" --warmup 3 "${extra[@]}" --json "$e2e_dir/cromss_$tag.json"
    if [ "$batch" = 128 ] && [ "$precision" = bf16 ]; then
      step "cromss bench --deterministic ($tag)" "e2e/cromss_det_$tag.log" 120 "$cromss" bench \
        "${e2e[@]}" --fusion_type mid --device cuda --precision "$precision" \
        --batch_size "$batch" --steps "$steps" --warmup 3 --deterministic \
        --json "$e2e_dir/cromss_det_$tag.json"
    fi
    # bf16 again with the network in nhwc (--channels_last; e2e_table.py's ratio for it is
    # PyTorch eager channels_last ms / its ms). E2E_NHWC=0 skips it.
    if [ "${E2E_NHWC:-1}" = 1 ] && [ "$precision" = bf16 ]; then
      step "cromss bench --channels_last ($tag)" "e2e/cromss_nhwc_$tag.log" 120 "$cromss" bench \
        "${e2e[@]}" --fusion_type mid --device cuda --precision "$precision" \
        --batch_size "$batch" --steps "$steps" --warmup 3 --channels_last \
        --json "$e2e_dir/cromss_nhwc_$tag.json"
    fi
    [ "$have_torch" = 1 ] || continue
    base=(python3 tools/pytorch_baseline.py "${e2e[@]}" --device cuda --amp "$precision"
          --batch_size "$batch" --steps "$steps")
    step "pytorch eager NCHW ($tag)" "e2e/pytorch_nchw_$tag.log" 90 "${base[@]}" --warmup 3 \
      --json "$e2e_dir/pytorch_nchw_$tag.json"
    step "pytorch eager NHWC ($tag)" "e2e/pytorch_nhwc_$tag.log" 90 "${base[@]}" --warmup 3 \
      --channels_last --json "$e2e_dir/pytorch_nhwc_$tag.json"
    if [ "${E2E_COMPILE:-1}" = 1 ] && [ "$batch" -ge 64 ] && [ "$precision" = bf16 ]; then
      step "pytorch compile NHWC ($tag)" "e2e/pytorch_compile_$tag.log" 240 "${base[@]}" \
        --warmup 5 --channels_last --compile --json "$e2e_dir/pytorch_compile_$tag.json"
    fi
  done
done
# The same step at batch 128 bf16 with the S1 branch's forward on a second stream
# (--branch_streams; e2e_table.py's ratio for it is cromss ms / this ms). E2E_STREAMS=0 skips it.
if [ "${E2E_STREAMS:-1}" = 1 ]; then
  step "cromss bench --branch_streams (b128_bf16)" e2e/cromss_streams_b128_bf16.log 90 \
    "$cromss" bench "${e2e[@]}" --fusion_type mid --device cuda --precision bf16 \
    --batch_size 128 --steps 10 --warmup 3 --branch_streams \
    --json "$e2e_dir/cromss_streams_b128_bf16.json"
fi
# The step captured as a CUDA graph and replayed (--cuda_graph; ratio cromss ms / this ms), at
# batch 16 (where launch overhead weighs most) and 128, bf16, alone and with --channels_last (the
# fastest configuration; ratio PyTorch eager channels_last ms / its ms). E2E_GRAPH=0 skips it.
if [ "${E2E_GRAPH:-1}" = 1 ]; then
  for batch in 16 128; do
    step "cromss bench --cuda_graph (b${batch}_bf16)" "e2e/cromss_graph_b${batch}_bf16.log" 90 \
      "$cromss" bench "${e2e[@]}" --fusion_type mid --device cuda --precision bf16 \
      --batch_size "$batch" --steps 10 --warmup 3 --cuda_graph \
      --json "$e2e_dir/cromss_graph_b${batch}_bf16.json"
    step "cromss bench --channels_last --cuda_graph (b${batch}_bf16)" \
      "e2e/cromss_nhwc_graph_b${batch}_bf16.log" 90 "$cromss" bench "${e2e[@]}" --fusion_type mid \
      --device cuda --precision bf16 --batch_size "$batch" --steps 10 --warmup 3 --channels_last \
      --cuda_graph --json "$e2e_dir/cromss_nhwc_graph_b${batch}_bf16.json"
  done
fi
# Each convolution followed by batch norm as one cuDNN graph (--conv_bn_fusion, which needs nhwc
# and bf16/fp16), bf16 with --channels_last and with --channels_last --cuda_graph (ratio PyTorch
# eager channels_last ms / its ms; e2e_table.py also prints its speed-up over the same run without
# the fusion). Batch 128 only by default (the memory-bound batch norms weigh most there, and the
# check must fit its 10 minutes); E2E_FUSION_BATCHES="16 128" adds batch 16, E2E_FUSION=0 skips it.
# The warm-up builds one cuDNN execution plan per convolution shape, compiling runtime-fusion
# kernels, hence the longer limit.
if [ "${E2E_FUSION:-1}" = 1 ]; then
  for batch in ${E2E_FUSION_BATCHES:-128}; do
    step "cromss bench --channels_last --conv_bn_fusion (b${batch}_bf16)" \
      "e2e/cromss_fusion_b${batch}_bf16.log" 150 "$cromss" bench "${e2e[@]}" --fusion_type mid \
      --device cuda --precision bf16 --batch_size "$batch" --steps 10 --warmup 3 --channels_last \
      --conv_bn_fusion --json "$e2e_dir/cromss_fusion_b${batch}_bf16.json"
    step "cromss bench --channels_last --conv_bn_fusion --cuda_graph (b${batch}_bf16)" \
      "e2e/cromss_fusion_graph_b${batch}_bf16.log" 150 "$cromss" bench "${e2e[@]}" \
      --fusion_type mid --device cuda --precision bf16 --batch_size "$batch" --steps 10 \
      --warmup 3 --channels_last --conv_bn_fusion --cuda_graph \
      --json "$e2e_dir/cromss_fusion_graph_b${batch}_bf16.json"
  done
fi
fp32_tag=b16_fp32
step "cromss bench ($fp32_tag)" "e2e/cromss_$fp32_tag.log" 90 "$cromss" bench "${e2e[@]}" \
  --fusion_type mid --device cuda --precision fp32 --batch_size 16 --steps 10 --warmup 3 \
  --json "$e2e_dir/cromss_$fp32_tag.json"

step "kernel benchmarks (CUDA)" bench.log 200 "$kernel_bench" --benchmark_filter=Cuda \
  --benchmark_min_time=0.05 --benchmark_out="$log_dir/bench.json" --benchmark_out_format=json
if command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck" sanitizer.log 100 \
    compute-sanitizer --tool memcheck --error-exitcode 1 "$gpu_tests"
else
  rows+=("$(printf '%-34s %-7s' "compute-sanitizer" skip)")
fi

echo
echo "== cromss gpu_check: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null) =="
printf '%s\n' "${rows[@]}"
echo
echo "gpu tests: $(grep -E '^\[  PASSED  \]|^\[  FAILED  \]|^\[  SKIPPED \] [0-9]' "$log_dir/gpu_tests.log" | tr '\n' ' ')"
grep -E '^\[  FAILED  \] [A-Za-z]' "$log_dir/gpu_tests.log" | sort -u | head -20
echo "sanitizer: $(grep -E 'ERROR SUMMARY' "$log_dir/sanitizer.log" 2>/dev/null | tail -1)"
echo "pretrain (last metrics line per run):"
for run in bf16 fp16; do  # upstream's nested run directory under --save_dir
  metrics=$(find "$run_dir/$run" -name metrics.csv 2>/dev/null | head -1)
  [ -n "$metrics" ] && awk -F, -v run="$run" 'NR == 1 {for (i = 1; i <= NF; ++i) col[$i] = i; next}
    {printf "  %s epoch %s: tr_loss %.4f v_loss %s v1_miou %.4f v2_miou %.4f tr_selprec_1 %.3f\n",
     run, $col["epoch"], $col["tr_loss"], $col["v_loss"], $col["v1_miou"], $col["v2_miou"],
     $col["tr_selprec_1"]}' "$metrics"
done
python3 bench/e2e_table.py "$e2e_dir"
profile_log="$e2e_dir/cromss_b128_bf16.log"
if grep -q '^  op profile' "$profile_log" 2>/dev/null; then
  echo "per-op-type time, batch 128 bf16 (cromss bench --profile_ops):"
  sed -n '/^  op profile/,/^  cuDNN algorithms/p' "$profile_log" | grep -v '^  cuDNN algorithms'
fi
for tag in b128_bf16 b128_fp16; do
  [ -f "$e2e_dir/cromss_$tag.log" ] || continue
  echo "cuDNN algorithm choices, $tag (direction dtype shape: algorithm, workspace, time):"
  sed -n '/^  cuDNN algorithms/,$p' "$e2e_dir/cromss_$tag.log"
done
echo "kernel benchmarks (name, time, rate):"
grep -E '^BM_' "$log_dir/bench.log" | awk '{printf "  %-56s %10s %s %s\n", $1, $2, $3, $NF}' | head -60
exit $status
