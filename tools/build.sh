#!/usr/bin/env bash
# Configures and builds cromss into build/ (CUDA on when nvcc is found, CUDA_ARCHS default
# "80;90"). Extra arguments go to cmake, e.g. -DCROMSS_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
export PATH="/usr/local/cuda/bin:$PATH"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-80;90}" "$@"
cmake --build build -j "$(nproc)"
