#!/usr/bin/env bash
# Fails when a tracked C++/CUDA source differs from clang-format's output (.clang-format).
set -euo pipefail
cd "$1"
bad=0
while IFS= read -r f; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done < <(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh')
exit $bad
