#!/usr/bin/env bash
# Fault tests of docs/reliability.md (issue 11), run by ctest (tests/reliability.cmake):
#   reliability_test.sh CASE CROMSS FAULT_TOOL WORKDIR
# Each case plants one fault in real files or processes (a 16-location synthetic set, a ResNet-18
# U-Net on 3 S2 bands, 32 px crops, the CPU) and checks the promised behaviour:
#   lmdb_truncated  data.mdb cut to 50/90/99 %: `data inspect` and `pretrain` exit 1 naming the
#                   LMDB (it was SIGBUS, exit 135)
#   nan_checkpoint  one NaN weight in last.h5: --resume refuses naming the dataset; with
#                   --allow_nonfinite the NaN reaches the loss, the run stops with a named error
#                   and last.h5 is not replaced; `cromss forward` refuses it too
#   nan_loss        --optimizer sgd --learning_rate 1e6: exit 1 with "non-finite training loss"
#                   or, when the epoch's last step diverged, "non-finite model values" before its
#                   checkpoint; no checkpoint with NaN/Inf is ever written
#   run_dir         a second process on a running run's directory fails naming the holder's PID;
#                   a fresh run over checkpoints is refused unless --overwrite; resuming with
#                   another --n_channels is refused naming the flag; failed starts keep params.txt
#   full_disk       a 1.5-checkpoint tmpfs as run dir: the next save fails with exit 1 (no crash in
#                   HDF5's exit handler), last.h5 stays intact, no .tmp is left (skips without
#                   permission to mount)
#   metrics         a torn last line in metrics.jsonl is trimmed on --resume auto; rows a crash
#                   left after the checkpoint are not duplicated
#   validation      24 locations, --validation 0.2: the 4 held-out samples are scored whatever
#                   --test_batch_size (3, 4, 5: identical v_* confusion metrics); with
#                   --upstream_drop_last and --test_batch_size 5 a loud warning and no v_loss
#   skip_bad        a broken S2 record: named error; with --skip_bad_samples the count is reported
#   resume_flags    a mid-epoch checkpoint refuses another --batch_size or --data_path
#   corrupt_last    a damaged last.h5 falls back to the newest valid epoch=*.h5 (and says so); with
#                   no valid checkpoint --resume auto is a named error, not a fresh start
#   slurm_requeue   SIGUSR1 under SLURM runs `scontrol requeue <job>` (a fake scontrol records
#                   it; array jobs use <array job>_<task>); --no-slurm_requeue and SIGTERM do not
#   small           data synth replaces an existing dataset; --device cuda:99, --n_classes 5 and
#                   --max_steps -1 are named errors; --input_type s2 runs without the S1 LMDB
set -uo pipefail
case_name=$1 cromss=$2 tool=$3 work=$4
export OMP_NUM_THREADS=1
rm -rf "$work" && mkdir -p "$work"
"$cromss" data synth --out "$work/data" --n 16 --seed 7 --size 32 --threads 1 >/dev/null || exit 1
common=(--data_path "$work/data" --model_type resnet18 --input_type s2 --n_channels 3
        --validation 0.25 --accelerator cpu --num_workers 1 --display_interval 100 --crop_size 32
        --batch_size 4 --test_batch_size 4)

fail() { echo "FAIL: $*" >&2; exit 1; }
bg_pid="" mounted=""
cleanup() {  # a failed case must not leave a training process or a mount behind
  [[ -z $bg_pid ]] || kill -9 "$bg_pid" 2>/dev/null
  [[ -z $mounted ]] || umount "$mounted"
}
trap cleanup EXIT
# pretrain FLAGS...: cromss pretrain with the common flags, those given here replacing them.
pretrain() {
  local args=() i
  for ((i = 0; i < ${#common[@]}; i += 2)); do
    [[ " $* " == *" ${common[i]} "* ]] || args+=("${common[i]}" "${common[i + 1]}")
  done
  "$cromss" pretrain "${args[@]}" "$@"
}
# run_expect RC PATTERN LOG -- CMD...: runs CMD, requires exit status RC and PATTERN in its output.
run_expect() {
  local want=$1 pattern=$2 log=$3
  shift 4
  "$@" >"$log" 2>&1
  local rc=$?
  [[ $rc == "$want" ]] || fail "exit $rc (want $want): $*; output: $(tail -5 "$log")"
  [[ -z $pattern ]] || grep -Eq -- "$pattern" "$log" ||
    fail "no /$pattern/ in the output of $*: $(tail -5 "$log")"
}
# start_bg LOG CMD...: starts CMD in the background and waits until its first epoch began.
start_bg() {
  local log=$1
  shift
  "$@" >"$log.out" 2>"$log" &
  bg_pid=$!
  for _ in $(seq 600); do grep -q "batches per epoch" "$log" && return 0; sleep 0.1; done
  fail "the background run did not start: $(tail -3 "$log")"
}

case "$case_name" in
lmdb_truncated)
  for pct in 50 90 99; do
    cp -r "$work/data" "$work/cut$pct"
    mdb="$work/cut$pct/0k_251k_uint8_s2c.lmdb/data.mdb"
    truncate -s $(($(stat -c %s "$mdb") * pct / 100)) "$mdb"
    run_expect 1 "0k_251k_uint8_s2c.lmdb.*is truncated" "$work/inspect$pct.log" -- \
      "$cromss" data inspect --data_path "$work/cut$pct"
  done
  run_expect 1 "LMDB .*0k_251k_uint8_s2c.lmdb: .*is truncated" "$work/pretrain.log" -- \
    pretrain --data_path "$work/cut90" --epochs 1 --run_dir "$work/run"
  ;;
nan_checkpoint)
  run_expect 0 "" "$work/first.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --max_steps 1 --run_dir "$work/run"
  last="$work/run/checkpoints/last.h5"
  "$tool" h5-set "$last" "model/net.encoder.conv1.weight" 5 nan || fail "h5-set"
  cp "$last" "$work/poisoned.h5"
  run_expect 1 "model/net.encoder.conv1.weight: 1 NaN, 0 Inf of" \
    "$work/refused.log" -- "$cromss" pretrain "${common[@]}" --epochs 2 --run_dir "$work/run" \
    --resume auto
  run_expect 1 "non-finite training loss \(nan\) at epoch 0, step 2" "$work/allowed.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --run_dir "$work/run" --resume auto \
    --allow_nonfinite
  cmp -s "$last" "$work/poisoned.h5" || fail "last.h5 was replaced after the non-finite loss"
  run_expect 1 "model/net.encoder.conv1.weight: 1 NaN" \
    "$work/forward.log" -- "$cromss" forward --ckpt "$work/poisoned.h5" --input "$work/none.h5" \
    --output "$work/out.h5"
  ;;
nan_loss)
  run_expect 1 "non-finite (training loss|model values after step [0-9]+ \(epoch 0\))" \
    "$work/run.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 20 --optimizer sgd --learning_rate 1e6 \
    --lr_adjust_type none --save_interval 1 --run_dir "$work/run"
  for f in "$work"/run/checkpoints/*.h5; do
    [[ -e $f ]] || continue
    [[ $("$tool" h5-nonfinite "$f") == 0 ]] || fail "$f holds non-finite values"
  done
  ;;
run_dir)
  run=(--epochs 1000 --run_dir "$work/run")
  start_bg "$work/a.log" "$cromss" pretrain "${common[@]}" "${run[@]}"
  a_pid=$bg_pid
  run_expect 1 "run directory .*/run is in use by another cromss process \(PID $a_pid" \
    "$work/b.log" -- "$cromss" pretrain "${common[@]}" "${run[@]}"
  kill -TERM "$a_pid" && wait "$a_pid" || fail "the first run did not stop cleanly on SIGTERM"
  bg_pid=""
  params=$(md5sum <"$work/run/params.txt")
  run_expect 1 "already holds checkpoints \(last.h5\).*--resume auto.*--overwrite" \
    "$work/fresh.log" -- "$cromss" pretrain "${common[@]}" "${run[@]}"
  run_expect 1 "--n_channels 13: the checkpoint .*last.h5 was written with --n_channels 3" \
    "$work/channels.log" -- pretrain "${run[@]}" --n_channels 13 \
    --resume auto
  [[ $(md5sum <"$work/run/params.txt") == "$params" ]] || fail "a failed start rewrote params.txt"
  run_expect 0 "stopped after 1 optimizer steps" "$work/over.log" -- \
    "$cromss" pretrain "${common[@]}" "${run[@]}" --overwrite --max_steps 1
  ;;
full_disk)
  mnt="$work/disk"
  mkdir -p "$mnt"
  run_expect 0 "" "$work/size.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 1 --save_interval 100 --run_dir "$work/probe"
  size=$(stat -c %s "$work/probe/checkpoints/last.h5")
  if ! mount -t tmpfs -o size=$((size * 3 / 2)) tmpfs "$mnt" 2>"$work/mount.log"; then
    echo "SKIP: cannot mount a tmpfs here ($(cat "$work/mount.log")); full-disk case not run"
    exit 0
  fi
  mounted=$mnt
  run_expect 0 "" "$work/one.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 1 --save_interval 100 --run_dir "$mnt/run"
  cp "$mnt/run/checkpoints/last.h5" "$work/before.h5"
  run_expect 1 "last.h5.tmp: cannot (write|create|flush)" "$work/full.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --save_interval 100 --run_dir "$mnt/run" \
    --resume auto
  cmp -s "$mnt/run/checkpoints/last.h5" "$work/before.h5" || fail "last.h5 changed on a full disk"
  [[ -z $(ls "$mnt/run/checkpoints" | grep '\.tmp$') ]] || fail "a .tmp file was left behind"
  ;;
metrics)
  run_expect 0 "" "$work/one.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --save_interval 1 --run_dir "$work/run"
  ckpt="$work/run/checkpoints"
  [[ $(wc -l <"$work/run/metrics.jsonl") == 2 ]] || fail "2 epochs, $(wc -l <"$work/run/metrics.jsonl") rows"
  # A crash after logging epoch 1 but before its checkpoints: resume from epoch 0's checkpoint.
  first=$(ls "$ckpt" | grep '^epoch=0-')
  rm "$ckpt"/epoch=1-*.h5 && cp "$ckpt/$first" "$ckpt/last.h5"
  printf '{"epoch": 2, "tr_lo' >>"$work/run/metrics.jsonl"  # and a torn last line
  run_expect 0 "dropping a torn last line" "$work/two.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --save_interval 1 --run_dir "$work/run" \
    --resume auto
  grep -q "dropped 1 metrics row" "$work/two.log" || fail "the stale epoch-1 row was not dropped"
  epochs=$(grep -o '"epoch":[0-9.]*' "$work/run/metrics.jsonl" | tr '\n' ' ')
  [[ $epochs == '"epoch":0.0 "epoch":1.0 ' ]] || fail "metrics.jsonl epochs: $epochs"
  [[ $(wc -l <"$work/run/metrics.csv") == 3 ]] || fail "metrics.csv: $(cat "$work/run/metrics.csv")"
  ;;
validation)
  "$cromss" data synth --out "$work/data24" --n 24 --seed 5 --size 32 --threads 1 >/dev/null
  val=(--data_path "$work/data24" --validation 0.2 --batch_size 10 --epochs 1)
  for tbs in 3 4 5; do
    run_expect 0 "" "$work/tbs$tbs.log" -- pretrain "${val[@]}" \
      --test_batch_size "$tbs" --run_dir "$work/tbs$tbs"
    grep -q '"v_loss"' "$work/tbs$tbs/metrics.jsonl" || fail "--test_batch_size $tbs: no v_loss"
    grep -o '"v_\(clean_\)\?[a-z]*_[0-9]":[^,]*' "$work/tbs$tbs/metrics.jsonl" \
      >"$work/confusion$tbs.txt"
  done
  [[ -s $work/confusion3.txt ]] || fail "no confusion metrics"
  cmp -s "$work/confusion3.txt" "$work/confusion4.txt" && cmp -s "$work/confusion4.txt" \
    "$work/confusion5.txt" || fail "validation metrics depend on --test_batch_size"
  run_expect 0 "WARNING: no validation at all" "$work/upstream.log" -- \
    pretrain "${val[@]}" --test_batch_size 5 --upstream_drop_last \
    --run_dir "$work/upstream"
  ! grep -q '"v_loss"' "$work/upstream/metrics.jsonl" || fail "--upstream_drop_last: v_loss"
  grep -q '"upstream_drop_last": true' "$work/upstream/params.txt" || fail "params.txt"
  ;;
skip_bad)
  "$tool" lmdb-put "$work/data/0k_251k_uint8_s2c.lmdb" 5 "not a pickle" || fail "lmdb-put"
  run_expect 1 "0k_251k_uint8_s2c.lmdb key '5'.*--skip_bad_samples" "$work/strict.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 1 --run_dir "$work/strict"
  run_expect 0 "--skip_bad_samples: 1 bad sample\(s\) skipped so far.*key '5'" "$work/skip.log" \
    -- "$cromss" pretrain "${common[@]}" --epochs 1 --skip_bad_samples --run_dir "$work/skip"
  ;;
resume_flags)
  run_expect 0 "stopped after 1 optimizer steps" "$work/one.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --max_steps 1 --run_dir "$work/run"
  run_expect 1 "--batch_size 2: the checkpoint .* --batch_size 4; .*middle of epoch 0 after 1 " \
    "$work/bs.log" -- pretrain --epochs 2 --batch_size 2 \
    --run_dir "$work/run" --resume auto
  cp -r "$work/data" "$work/other"
  run_expect 1 "--data_path .*/other: the checkpoint .* was written with --data_path" \
    "$work/path.log" -- pretrain --epochs 2 --data_path "$work/other" \
    --run_dir "$work/run" --resume auto
  run_expect 0 "finished after 6 optimizer steps" "$work/ok.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --run_dir "$work/run" --resume auto
  ;;
corrupt_last)
  run_expect 0 "" "$work/one.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 2 --save_interval 1 --run_dir "$work/run"
  ckpt="$work/run/checkpoints"
  truncate -s $(($(stat -c %s "$ckpt/last.h5") / 2)) "$ckpt/last.h5"
  newest=$(ls "$ckpt" | grep '^epoch=1-')
  run_expect 0 "skipping a damaged checkpoint: .*last.h5" "$work/fallback.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 3 --max_steps 7 --save_interval 1 \
    --run_dir "$work/run" --resume auto
  grep -q -- "--resume auto: falling back to .*$newest" "$work/fallback.log" ||
    fail "no fallback to $newest: $(cat "$work/fallback.log")"
  grep -q "stopped after 7 optimizer steps" "$work/fallback.log" || fail "did not resume at step 6"
  run_expect 0 "" "$work/single.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 1 --save_interval 100 --run_dir "$work/single"
  truncate -s 5000 "$work/single/checkpoints/last.h5"
  run_expect 1 "--resume auto: .*checkpoints holds checkpoints but none is readable" \
    "$work/none.log" -- "$cromss" pretrain "${common[@]}" --epochs 2 --save_interval 100 \
    --run_dir "$work/single" --resume auto
  ;;
slurm_requeue)
  mkdir -p "$work/bin"
  printf '#!/bin/sh\necho "$@" >>"%s"\n' "$work/scontrol.args" >"$work/bin/scontrol"
  chmod +x "$work/bin/scontrol"
  requeue_run() {  # NAME SIGNAL ENV... -- FLAGS...
    local name=$1 sig=$2
    shift 2
    local envs=()
    while [[ $1 != -- ]]; do envs+=("$1") && shift; done
    shift
    start_bg "$work/$name.log" env PATH="$work/bin:$PATH" "${envs[@]}" "$cromss" pretrain \
      "${common[@]}" --epochs 1000 --run_dir "$work/$name" "$@"
    kill "-$sig" "$bg_pid"
    wait "$bg_pid" || fail "$name: exit status $? after SIG$sig"
    bg_pid=""
  }
  requeue_run job USR1 SLURM_JOB_ID=4242 --
  grep -q "requeued SLURM job 4242" "$work/job.log" || fail "no requeue message: $(tail -2 "$work/job.log")"
  requeue_run array USR1 SLURM_JOB_ID=4300 SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=3 --
  requeue_run off USR1 SLURM_JOB_ID=4243 -- --no-slurm_requeue
  requeue_run term TERM SLURM_JOB_ID=4244 --
  [[ $(cat "$work/scontrol.args") == $'requeue 4242\nrequeue 77_3' ]] ||
    fail "scontrol calls: $(cat "$work/scontrol.args")"
  ;;
small)
  "$cromss" data synth --out "$work/data" --n 8 --seed 7 --size 32 --threads 1 >"$work/synth.log"
  grep -q "replaced the existing" "$work/synth.log" || fail "synth did not say it replaced"
  run_expect 0 '"samples": 8' "$work/inspect.log" -- "$cromss" data inspect --json \
    --data_path "$work/data"
  run_expect 1 "--device cuda:99: no such CUDA GPU" "$work/device.log" -- \
    "$cromss" pretrain "${common[@]}" --device cuda:99 --run_dir "$work/device"
  run_expect 1 "--n_classes 5: --label_smoothing" "$work/classes.log" -- \
    pretrain --input_type s12 --n_channels 13 --n_classes 5 \
    --run_dir "$work/classes"
  run_expect 1 "--max_steps: expected >= 0" "$work/steps.log" -- \
    "$cromss" pretrain "${common[@]}" --max_steps -1 --run_dir "$work/steps"
  rm -r "$work/data/0k_251k_uint8_s1.lmdb"
  run_expect 0 "stopped after 1 optimizer steps" "$work/s2.log" -- \
    "$cromss" pretrain "${common[@]}" --epochs 1 --max_steps 1 --run_dir "$work/s2"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "reliability $case_name: OK"
