#!/usr/bin/env bash
# Packs a CUDA build for a GPU machine that has the NVIDIA libraries (driver, cuDNN 9, cuBLAS(Lt),
# NCCL: a CUDA or PyTorch image) but not cromss's Debian libraries (HDF5, LMDB, OpenBLAS, GDAL,
# OpenMPI, ...), so that bench/gpu_check.sh can run there without building.
#
# Layout of OUT_DIR: bin/ (cromss, cromss_gpu_tests, cromss_bench), lib/ (every shared library
# the binaries need except glibc, the C++ runtime and the NVIDIA libraries, found with ldd),
# lib_fallback/ (this machine's C++ runtime, used only where the target lacks it) and env.sh,
# which puts them and the target's NVIDIA libraries on LD_LIBRARY_PATH.
#
# The binaries come from a lean CUDA build in BUILD_DIR (-DCROMSS_GDAL=OFF: GDAL's dependency
# tree alone is ~150 MB), configured and built here for CUDA_ARCHS (default 90).
#
# Usage: bench/gpu_bundle.sh [BUILD_DIR] [OUT_DIR]   (defaults: build-gpu, gpu_bundle; also
# writes OUT_DIR.tar.xz)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-gpu}"
out="${2:-gpu_bundle}"
bash tools/install_deps.sh
export PATH="/usr/local/cuda/bin:$PATH"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCROMSS_CUDA=ON -DCROMSS_GDAL=OFF \
  -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}"
cmake --build "$build" -j "$(nproc)" --target cromss cromss_gpu_tests cromss_bench
binaries=("$build/cromss" "$build/tests/cromss_gpu_tests" "$build/bench/cromss_bench")
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/lib_fallback"
cp "${binaries[@]}" "$out/bin/"
strip --strip-debug "$out"/bin/*

# Libraries the target machine provides itself: glibc, the dynamic loader, the NVIDIA stack.
system_lib='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libresolv\.|libcuda\.|libcudnn|libcublas|libnccl|libnvidia)'
cxx_runtime='^(libstdc\+\+|libgcc_s|libgomp)\.'
for b in "${binaries[@]}"; do
  ldd "$b" | awk '/=> \// {print $1, $3}'
done | sort -u | while read -r name path; do
  if [[ "$name" =~ $system_lib ]]; then continue; fi
  if [[ "$name" =~ $cxx_runtime ]]; then cp -L "$path" "$out/lib_fallback/$name"; continue; fi
  cp -L "$path" "$out/lib/$name"
done
strip --strip-unneeded "$out"/lib/*.so* 2>/dev/null || true

cat >"$out/env.sh" <<'EOF'
# Sourced by bench/gpu_check.sh: finds the target's NVIDIA libraries (CUDA toolkit, or the
# nvidia-* wheels PyTorch installs) and puts the bundled libraries beside them.
bundle_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nvidia_dirs=""
for lib in libcudnn.so.9 libcublasLt.so.13 libnccl.so.2; do
  found=$(find /usr/local/cuda/lib64/ /usr/lib/x86_64-linux-gnu/ /opt /usr/local/lib \
            -name "$lib" 2>/dev/null | head -1)
  [ -n "$found" ] && nvidia_dirs="$nvidia_dirs:$(dirname "$found")"
done
# The C++ runtime of the build machine only where the target lacks one (a newer one is compatible).
fallback=""
for lib in "$bundle_dir"/lib_fallback/*; do
  ldconfig -p | grep -q "$(basename "$lib") " || fallback=":$bundle_dir/lib_fallback"
done
export LD_LIBRARY_PATH="$bundle_dir/lib${nvidia_dirs}${fallback}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
EOF
# One compressed file travels better than ~50 libraries (about a third of the size).
tar -cJf "$out.tar.xz" -C "$(dirname "$out")" "$(basename "$out")"
du -sh "$out" "$out.tar.xz"
