// Per-element math of dropout, shared by the CPU reference (kernels/cpu/dropout.cpp) and the CUDA
// kernel (kernels/cuda/dropout.cu). The element at logical (row-major nchw) index i, wherever
// its memory format stores it, belongs to mask entry i / group (group = 1 for dropout, H*W for
// dropout2d, whose entries are the n*C+c channels); the entry is dropped when uniform_float(seed,
// entry) < p, otherwise the value is scaled by 1/(1-p). The mask is a pure function of (seed,
// entry), so forward and backward, CPU and CUDA all see the same one without storing it.
#pragma once

#include <cstdint>

#include "core/hd.h"
#include "core/random.cuh"

namespace cromss {

CROMSS_HD bool dropout_keep(uint64_t seed, int64_t i, int64_t group, float p) {
  return !(uniform_float(seed, static_cast<uint64_t>(i / group)) < p);
}

template <class A>
CROMSS_HD A dropout_apply(A x, bool keep, A scale) {
  return keep ? x * scale : A(0);
}

}  // namespace cromss
