#!/usr/bin/env bash
# README's first command: build cromss, synthesize a small SSL4EO-like dataset with noisy labels
# (64 locations, ~30 % structured label noise, clean labels kept for evaluation), run a short
# CromSS pretraining (middle fusion, ResNet-18 U-Net, 64 px crops, 3 epochs) on the CPU and print
# where the checkpoint, metrics and pictures are. Everything lands under runs/demo/. A few
# minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
./build/cromss info
rm -rf runs/demo
./build/cromss data synth --out runs/demo/data --n 64 --seed 42
./build/cromss pretrain --data_path runs/demo/data --save_dir runs/demo \
  --input_type s12 --fusion_type mid --model_type resnet18 --crop_size 64 \
  --batch_size 8 --test_batch_size 4 --validation 0.125 --epochs 3 \
  --sample_selection_rmdown_epoch 2 --display_interval 1 --save_interval 1 \
  --accelerator cpu --num_workers 2
