#!/usr/bin/env bash
# README's test command (and exactly what .ci/run runs): install dependencies, build with CUDA
# forced on (one architecture, 90, unless CUDA_ARCHS says otherwise) so that a missing nvcc fails
# instead of silently building CPU-only, check the CLI starts, then run every ctest suite. GPU
# tests (label gpu) skip with a message on machines without a device.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
CUDA_ARCHS="${CUDA_ARCHS:-90}" bash tools/build.sh -DCROMSS_CUDA=ON
echo "cromss: build finished in $(( $(date +%s) - start )) s"
./build/cromss --version
./build/cromss --help > /dev/null
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600
