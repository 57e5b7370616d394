#!/usr/bin/env bash
# Layer order gate (ctest layer_include_order): every C++/CUDA file of a layer folder includes
# headers of its own folder and of the folders below it only (CMakeLists.txt, docs/design.md):
#   core <- kernels <- engine <- layers <- models <- train <- apps;  data beside, on engine;
#   comm (collectives) beside models, on layers.
# The per-layer include roots already make such an include fail to compile; this check also
# covers headers that no build compiles (e.g. .cuh files in a CPU-only build).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
declare -A allowed=(
  [core]="core"
  [kernels]="core kernels"
  [engine]="core kernels engine"
  [layers]="core kernels engine layers"
  [models]="core kernels engine layers models"
  [data]="core kernels engine data"
  [comm]="core kernels engine layers comm"
  [train]="core kernels engine layers models data comm train"
  [apps]="core kernels engine layers models data comm train apps"
)
status=0
for folder in "${!allowed[@]}"; do
  while IFS=: read -r file line text; do
    included=$(sed -E 's/^#include "([a-z_]+)\/.*/\1/' <<<"$text")
    if [[ " ${allowed[$folder]} " != *" $included "* ]]; then
      echo "$file:$line: $folder/ must not include $included/ (${text})"
      status=1
    fi
  done < <(grep -rnE --include='*.h' --include='*.cpp' --include='*.cu' --include='*.cuh' \
             '^#include "[a-z_]+/' "$folder" || true)
done
[[ $status == 0 ]] && echo "layer include order: ok"
exit $status
