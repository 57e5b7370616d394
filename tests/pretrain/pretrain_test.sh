#!/usr/bin/env bash
# End-to-end tests of `cromss pretrain` on a tiny synthetic dataset (ResNet-18, 32-64 px), run by
# ctest (tests/pretrain.cmake): pretrain_test.sh CASE CROMSS COMPARE WORKDIR [MPIEXEC]
#   resume   N steps straight == k steps, stop, --resume, N-k steps: every dataset of last.h5
#            (model, optimizer, scaler, scheduler, data position, step) bit for bit; the stop is
#            mid-epoch, so the resumed run must skip exactly the consumed batches. Also checks
#            --save_interval/--keep_last file names.
#   sigterm  SIGTERM to a running pretrain: exit 0, last.h5 written; --resume auto continues
#            from its step.
#   variants late fusion, single-modal S1 (script 1: v_* metrics, ROP max on v_miou) and
#            --accumulate_grad_batches run an epoch and log what they should.
#   prior    --prior_on_device on (the loader only crops; the step builds the label prior from
#            the full-tile seasonal labels) == off (the loader builds it): last.h5 bit for bit
#            after an epoch (3 steps) and the same validation loss; a run with another prior type
#            differs (the prior reaches the loss).
#   streams  --branch_streams (the S1 branch's forward on a second stream; one stream on the CPU)
#            == without: last.h5 bit for bit after an epoch (3 steps) of mid fusion.
#   graph    --cuda_graph (forward, objective and backward captured once per epoch and replayed;
#            on the CPU the recorded kernel calls replay) == without: last.h5 bit for bit and the
#            same logged training losses after 2 epochs (a warm-up step, a capture per epoch).
#            Both runs use --channels_last, so this is also the nhwc network's pretraining run,
#            and --conv_bn_fusion (a no-op on the CPU: the flag parses and reaches params.txt).
#   mpi      `mpirun -np 2` one SGD step == one process accumulating the same two micro-batches
#            (rank r's batch of 1 is micro-batch r: data/sampler.h deals every world_size-th
#            sample to a rank); parameters within fp32 tolerance, BN buffers excluded (§9.31).
#            Then a 2-rank epoch with --global_selection (objective over both ranks' pixels; its
#            exactness is tests/mpi_selection): runs, logs a finite tr_loss and moves the
#            parameters differently from a per-rank epoch.
set -euo pipefail
case_name=$1 cromss=$2 compare=$3 work=$4 mpiexec=${5:-mpiexec}
export OMP_NUM_THREADS=1
rm -rf "$work" && mkdir -p "$work"
"$cromss" data synth --out "$work/data" --n 8 --seed 7 --size 64 --threads 1 >/dev/null
common=(--data_path "$work/data" --model_type resnet18 --validation 0.25 --accelerator cpu
        --num_workers 1 --display_interval 100 --sample_selection_rmdown_epoch 2)
small=(--crop_size 32 --batch_size 2 --test_batch_size 2)

fail() { echo "FAIL: $*" >&2; exit 1; }

case "$case_name" in
resume)
  # 6 training locations, batch 2: 3 steps per epoch, 2 epochs = 6 steps; stop after step 2.
  "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 2 --save_interval 1 --keep_last 1 \
    --run_dir "$work/straight"
  "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 2 --save_interval 1 --keep_last 1 \
    --run_dir "$work/resumed" --max_steps 2 | grep -q "stopped after 2 optimizer steps" ||
    fail "the run did not stop after step 2"
  "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 2 --save_interval 1 --keep_last 1 \
    --run_dir "$work/resumed" --resume "$work/resumed/checkpoints/last.h5"
  "$compare" "$work/straight/checkpoints/last.h5" "$work/resumed/checkpoints/last.h5" ||
    fail "resumed run differs from the straight run"
  [[ "$(ls "$work/straight/checkpoints")" == $'epoch=1-step=6.h5\nlast.h5' ]] ||
    fail "checkpoints/: $(ls "$work/straight/checkpoints" | tr '\n' ' ')"
  rows=$(wc -l <"$work/resumed/metrics.jsonl")
  [[ $rows == 2 ]] || fail "resumed metrics.jsonl has $rows rows, expected 2"
  ;;
sigterm)
  log="$work/log.txt"
  "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 1000 --run_dir "$work/run" \
    >"$work/out.txt" 2>"$log" &
  pid=$!
  for _ in $(seq 600); do grep -q "batches per epoch" "$log" && break; sleep 0.1; done
  sleep 1
  kill -TERM "$pid"
  rc=0 && wait "$pid" || rc=$?
  [[ $rc == 0 ]] || fail "exit status $rc after SIGTERM; stderr: $(tail -3 "$log")"
  step=$(sed -n 's/^stopped after \([0-9]*\) optimizer steps.*/\1/p' "$work/out.txt")
  [[ -n $step && -f "$work/run/checkpoints/last.h5" ]] || fail "no checkpoint after SIGTERM"
  "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 1000 --run_dir "$work/run" \
    --resume auto --max_steps $((step + 1)) 2>/dev/null |
    grep -q "stopped after $((step + 1)) optimizer steps" || fail "--resume auto did not continue"
  ;;
variants)
  "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 1 --fusion_type late \
    --accumulate_grad_batches 2 --lr_adjust_type exp --lr_adjust 0.5 --run_dir "$work/late"
  grep -q '"tr_conloss_2i"' "$work/late/metrics.jsonl" || fail "late fusion: no tr_conloss_2i"
  grep -q '"step":2.0' "$work/late/metrics.jsonl" || fail "late fusion: 3 micro-batches, k=2: 2 steps"
  "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 1 --input_type s1 --n_channels 2 \
    --run_dir "$work/s1"
  grep -q '"v_miou"' "$work/s1/metrics.jsonl" || fail "single-modal: no v_miou"
  grep -q '"v_clean_miou"' "$work/s1/metrics.jsonl" || fail "single-modal: no v_clean_miou"
  ;;
prior)
  two=(--epochs 1)
  for where in on off; do
    "$cromss" pretrain "${common[@]}" "${small[@]}" "${two[@]}" --prior_on_device $where \
      --run_dir "$work/prior_$where" >/dev/null
  done
  grep -q '"prior_on_device": "on"' "$work/prior_on/params.txt" ||
    fail "params.txt does not record --prior_on_device"
  "$compare" "$work/prior_off/checkpoints/last.h5" "$work/prior_on/checkpoints/last.h5" ||
    fail "the prior built in the step trains differently from the loader's"
  v_loss() { grep -o '"v_loss": *[-0-9.e]*' "$1/metrics.jsonl"; }
  [[ -n "$(v_loss "$work/prior_on")" && "$(v_loss "$work/prior_on")" == "$(v_loss "$work/prior_off")" ]] ||
    fail "validation loss: $(v_loss "$work/prior_on") vs $(v_loss "$work/prior_off")"
  "$cromss" pretrain "${common[@]}" "${small[@]}" "${two[@]}" --prior_on_device on \
    --label_smoothing_prior_type t --run_dir "$work/prior_t" >/dev/null
  if "$compare" "$work/prior_off/checkpoints/last.h5" "$work/prior_t/checkpoints/last.h5" \
    --params-only >/dev/null; then
    fail "the prior type did not change training: the test cannot see the prior"
  fi
  ;;
streams)
  for streams in branch_streams no-branch_streams; do
    "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 1 --$streams \
      --run_dir "$work/$streams" >/dev/null
  done
  grep -q '"branch_streams": true' "$work/branch_streams/params.txt" ||
    fail "params.txt does not record --branch_streams"
  "$compare" "$work/no-branch_streams/checkpoints/last.h5" \
    "$work/branch_streams/checkpoints/last.h5" || fail "--branch_streams trains differently"
  ;;
graph)
  for graph in cuda_graph no-cuda_graph; do
    "$cromss" pretrain "${common[@]}" "${small[@]}" --epochs 2 --channels_last --conv_bn_fusion \
      --$graph --run_dir "$work/$graph" >/dev/null
  done
  grep -q '"cuda_graph": true' "$work/cuda_graph/params.txt" ||
    fail "params.txt does not record --cuda_graph"
  grep -q '"channels_last": true' "$work/cuda_graph/params.txt" ||
    fail "params.txt does not record --channels_last"
  grep -q '"conv_bn_fusion": true' "$work/cuda_graph/params.txt" ||
    fail "params.txt does not record --conv_bn_fusion"
  "$compare" "$work/no-cuda_graph/checkpoints/last.h5" "$work/cuda_graph/checkpoints/last.h5" ||
    fail "--cuda_graph trains differently"
  losses() { grep -o '"tr_loss": *[^,}]*' "$1/metrics.jsonl"; }
  [[ "$(losses "$work/cuda_graph")" == "$(losses "$work/no-cuda_graph")" ]] ||
    fail "--cuda_graph logs other losses: $(losses "$work/cuda_graph" | tr '\n' ' ')"
  [[ $(losses "$work/cuda_graph" | wc -l) == 2 ]] || fail "expected 2 epochs of tr_loss"
  ;;
mpi)
  one=(--crop_size 64 --batch_size 1 --test_batch_size 1 --optimizer sgd --learning_rate 0.01
       --epochs 1 --max_steps 1)
  "$cromss" pretrain "${common[@]}" "${one[@]}" --accumulate_grad_batches 2 \
    --run_dir "$work/single" >/dev/null
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    "$mpiexec" -n 2 --oversubscribe -x OMP_NUM_THREADS \
    "$cromss" pretrain "${common[@]}" "${one[@]}" --run_dir "$work/ranks" >/dev/null
  "$compare" "$work/single/checkpoints/last.h5" "$work/ranks/checkpoints/last.h5" \
    --params-only --rtol 1e-4 --atol 1e-6 || fail "2 ranks differ from 1 process accumulating"
  "$compare" "$work/single/checkpoints/last.h5" "$work/single/checkpoints/last.h5" >/dev/null
  epoch=(--crop_size 64 --batch_size 1 --test_batch_size 1 --optimizer sgd --learning_rate 0.01
         --epochs 1)
  for selection in per_rank global; do
    flag=() && [[ $selection == global ]] && flag=(--global_selection)
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
      "$mpiexec" -n 2 --oversubscribe -x OMP_NUM_THREADS \
      "$cromss" pretrain "${common[@]}" "${epoch[@]}" "${flag[@]}" \
      --run_dir "$work/epoch_$selection" >/dev/null
  done
  grep -q '"global_selection": true' "$work/epoch_global/params.txt" ||
    fail "params.txt does not record --global_selection"
  grep -Eq '"tr_loss": *[0-9]' "$work/epoch_global/metrics.jsonl" ||
    fail "no finite tr_loss in $(cat "$work/epoch_global/metrics.jsonl")"
  if "$compare" "$work/epoch_per_rank/checkpoints/last.h5" \
    "$work/epoch_global/checkpoints/last.h5" --params-only --rtol 1e-6 --atol 1e-9 >/dev/null; then
    fail "--global_selection left the parameters as per-rank selection does"
  fi
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "pretrain $case_name: OK"
