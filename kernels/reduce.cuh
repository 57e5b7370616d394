// Index math of sum/mean over a set of axes, shared by the CPU reference (kernels/cpu/reduce.cpp)
// and the CUDA kernels (kernels/cuda/reduce.cu).
//
// A contiguous input is described by its dims after merging neighbours of the same kind (kept or
// reduced) and dropping size-1 dims. Output element o is the sum over r in [0, reduced_count) of
// x[kept_offset(o) + reduced_offset(r)]; in the backward, input element i receives the output
// gradient at out_index(i). Invariant: ndim <= kMaxReduceDims, in_stride is contiguous.
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace cromss {

constexpr int kMaxReduceDims = 8;

struct ReduceLayout {
  int ndim = 0;
  int64_t size[kMaxReduceDims] = {};
  int64_t in_stride[kMaxReduceDims] = {};   // element stride in the contiguous input
  int64_t out_stride[kMaxReduceDims] = {};  // stride in the contiguous output; 0 for reduced dims
  bool reduced[kMaxReduceDims] = {};
  int64_t kept_count = 1;     // number of outputs
  int64_t reduced_count = 1;  // elements summed per output
};

// Input offset of the k-th element of the sub-grid spanned by the dims whose `reduced` flag
// equals `reduced` (row-major over those dims).
CROMSS_HD int64_t sub_grid_offset(const ReduceLayout& l, int64_t k, bool reduced) {
  int64_t off = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    if (l.reduced[d] != reduced) continue;
    off += (k % l.size[d]) * l.in_stride[d];
    k /= l.size[d];
  }
  return off;
}

// Input offset of the first element that contributes to output `o`.
CROMSS_HD int64_t kept_offset(const ReduceLayout& l, int64_t o) {
  return sub_grid_offset(l, o, false);
}

// Input offset (relative to kept_offset) of the r-th element summed into one output.
CROMSS_HD int64_t reduced_offset(const ReduceLayout& l, int64_t r) {
  return sub_grid_offset(l, r, true);
}

// Output index that input element `i` contributes to.
CROMSS_HD int64_t out_index(const ReduceLayout& l, int64_t i) {
  int64_t o = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    o += (i % l.size[d]) * l.out_stride[d];
    i /= l.size[d];
  }
  return o;
}

}  // namespace cromss
