#!/usr/bin/env bash
# README's first command: build cromss, synthesize a small SSL4EO-like dataset with noisy labels,
# run a short CromSS pretraining (middle fusion) on the CPU and print where the checkpoint,
# metrics and pictures are. Everything lands under runs/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
./build/cromss info
