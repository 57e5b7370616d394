#!/usr/bin/env bash
# Installs the Debian packages cromss builds against (skipped when all are present). The CUDA 13
# toolkit with cuDNN, cuBLASLt and NCCL is expected in /usr/local/cuda (it is on this machine
# kind); without nvcc, configure with -DCROMSS_CUDA=OFF for a CPU-only build.
set -euo pipefail
packages=(cmake g++ make git libgtest-dev libbenchmark-dev libhdf5-dev liblmdb-dev
          libdnnl-dev libcli11-dev nlohmann-json3-dev libfmt-dev libgdal-dev libpng-dev
          libopenmpi-dev openmpi-bin clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "cromss: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "cromss: add /usr/local/cuda/bin to PATH to use the CUDA toolkit" >&2
fi
