#!/usr/bin/env bash
# End-to-end test of `cromss finetune` on tiny synthetic data (ResNet-18, 64 px tiles, 32 px crops),
# run by ctest (tests/finetune.cmake): finetune_test.sh CROMSS COMPARE WORKDIR CLASS_MAP_CHECK CHIP_DIR
#   1. `cromss pretrain` one epoch -> checkpoints/last.h5 (the encoder to transfer);
#   2. `cromss finetune` 2 epochs on a synthetic SSL4EO-S12@DW LMDB from its S2 encoder (mfs2,
#      efix): 2 metrics rows with finite training losses and scores in [0, 1]; --conv_bn_fusion
#      (a no-op on the CPU, here and in steps 3 and 4) parses and reaches params.txt;
#   3. `cromss evaluate` of the fine-tuned last.h5 on the test LMDB reproduces the last row's
#      v_oa and v_miou exactly (the same every-sample scoring, fp32 by default, recorded in the
#      JSON);
#   4. `cromss predict` of the fine-tuned last.h5 on the real Sen1Floods11 S2 chip (13 bands,
#      128 x 128, tests/fixtures/sen1floods11) with overlapping windows: a class map on the chip's
#      grid (size, CRS, geotransform), nodata 255, only DW class ids 0..8 or 255, and a PNG preview
#      (cromss_class_map_check; skipped when CLASS_MAP_CHECK is "none", a build without GDAL);
#      --precision auto runs fp32 on the CPU and says so; --precision fp16 there is a clear error;
#   5. resume: a run stopped by --max_steps 2 (mid-epoch 0) and continued with --resume auto
#      ends bit-identical to the straight run (cromss_ckpt_compare: model, optimizer, position).
set -euo pipefail
cromss=$1 compare=$2 work=$3 class_map_check=$4 chip_dir=$5
export OMP_NUM_THREADS=1
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cromss" data synth --out "$work/pre" --n 4 --seed 7 --size 64 --threads 1 >/dev/null
"$cromss" pretrain --data_path "$work/pre" --model_type resnet18 --validation 0.25 \
  --accelerator cpu --num_workers 1 --display_interval 100 --crop_size 32 --batch_size 2 \
  --test_batch_size 2 --epochs 1 --run_dir "$work/pt" >/dev/null 2>&1
"$cromss" data synth --out "$work/train" --n 6 --seed 1 --size 64 --downstream DW --threads 1 \
  >/dev/null
"$cromss" data synth --out "$work/test" --n 3 --seed 2 --size 64 --downstream DW --threads 1 \
  >/dev/null

ft=(--dataset DW --train_path "$work/train/synth_dw_lmdb" --test_path "$work/test/synth_dw_lmdb"
    --model_type resnet18 --input_type s2 --pretrain_tag mfs2
    --weight_path "$work/pt/checkpoints/last.h5" --encoder_finetune_tag efix --epochs 2
    --scheduler_values 1 --batch_size 2 --crop_size 32 --accelerator cpu --num_workers 1 --quiet
    --conv_bn_fusion)
"$cromss" finetune "${ft[@]}" --run_dir "$work/ft" >"$work/ft.out" 2>&1 ||
  fail "finetune: $(tail -3 "$work/ft.out")"
grep -q "encoder from .*(--pretrain_tag mfs2, 120 tensors)" "$work/ft.out" ||
  fail "the pretrained encoder was not loaded: $(head -3 "$work/ft.out")"
grep -q '"conv_bn_fusion": true' "$work/ft/params.txt" ||
  fail "params.txt does not record --conv_bn_fusion"
metrics="$work/ft/metrics.jsonl"
[[ $(wc -l <"$metrics") == 2 ]] || fail "metrics.jsonl has $(wc -l <"$metrics") rows, expected 2"
value() { grep -o "\"$2\": *[-0-9.e+a-z]*" <<<"$1" | head -1 | sed 's/.*: *//'; }
while read -r row; do
  for key in tr_loss tr_ce tr_dice v_oa v_miou v_mf1 v_aa; do
    v=$(value "$row" "$key")
    awk -v v="$v" -v k="$key" 'BEGIN { ok = (v == v + 0) && v >= 0 && (k ~ /^tr_/ || v <= 1);
                                       exit ok ? 0 : 1 }' || fail "$key = '$v' in $row"
  done
done <"$metrics"
last=$(tail -1 "$metrics")

"$cromss" evaluate --ckpt "$work/ft/checkpoints/last.h5" --dataset DW \
  --test_path "$work/test/synth_dw_lmdb" --conv_bn_fusion --json "$work/eval.json" >/dev/null
json=$(tr -d '\n' <"$work/eval.json")
[[ $(value "$json" oa) == $(value "$last" v_oa) ]] ||
  fail "evaluate OA $(value "$json" oa) != the last epoch's v_oa $(value "$last" v_oa)"
[[ $(value "$json" miou) == $(value "$last" v_miou) ]] ||
  fail "evaluate mIoU $(value "$json" miou) != the last epoch's v_miou $(value "$last" v_miou)"
grep -q '"precision": "fp32"' "$work/eval.json" || fail "eval.json does not record precision fp32"

if [[ $class_map_check != none ]]; then
  chip="$chip_dir/Spain_7370579_S2Hand.tif"
  "$cromss" predict --ckpt "$work/ft/checkpoints/last.h5" --s2 "$chip" --window 64 --overlap 16 \
    --conv_bn_fusion --precision auto --output "$work/map.tif" --preview "$work/map.png" \
    >"$work/predict.out" 2>&1 ||
    fail "predict: $(tail -3 "$work/predict.out")"
  [[ -s $work/map.png ]] || fail "predict wrote no PNG preview"
  grep -q "nodata pixels, fp32 on cpu" "$work/predict.out" ||
    fail "predict --precision auto on the CPU: $(head -1 "$work/predict.out")"
  if "$cromss" predict --ckpt "$work/ft/checkpoints/last.h5" --s2 "$chip" --precision fp16 \
    --output "$work/fp16.tif" >"$work/fp16.out" 2>&1; then
    fail "predict --precision fp16 on the CPU did not fail"
  fi
  grep -q -- "--precision fp16: mixed precision needs a CUDA device" "$work/fp16.out" ||
    fail "predict --precision fp16 on the CPU: $(tail -1 "$work/fp16.out")"
  "$class_map_check" "$work/map.tif" "$chip" 9 || fail "the class map of $chip"
fi

"$cromss" finetune "${ft[@]}" --run_dir "$work/resumed" --max_steps 2 2>/dev/null |
  grep -q "stopped after 2 optimizer steps" || fail "the run did not stop after step 2"
"$cromss" finetune "${ft[@]}" --run_dir "$work/resumed" --resume auto >/dev/null 2>&1 ||
  fail "--resume auto failed"
"$compare" "$work/ft/checkpoints/last.h5" "$work/resumed/checkpoints/last.h5" ||
  fail "the resumed run differs from the straight run"
[[ $(wc -l <"$work/resumed/metrics.jsonl") == 2 ]] || fail "resumed metrics.jsonl row count"
echo "finetune end to end: OK"
