// How an element-wise CUDA kernel over n contiguous elements is cut into 128-bit vectors and a
// scalar tail, and when its indices fit in 32 bits. Host-side decisions, shared by the CUDA
// launchers (kernels/cuda/vector_access.cuh) and tested on the CPU
// (tests/cpu/vector_split_test.cpp).
//
// A kernel vectorises only when every buffer it touches starts on a 16-byte boundary (a view
// with an odd element offset does not) and, for per-row math such as batch norm's per-channel
// parameters, when no vector straddles two rows. Otherwise it runs one element per item.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>

namespace cromss {

constexpr int64_t kVectorBytes = 16;  // one 128-bit load or store

// Elements of `elem_bytes` bytes per 128-bit vector (1 when they do not pack evenly).
inline int64_t vector_width(int64_t elem_bytes) {
  return elem_bytes > 0 && elem_bytes < kVectorBytes && kVectorBytes % elem_bytes == 0
             ? kVectorBytes / elem_bytes
             : 1;
}

inline bool vector_aligned(const void* p) {
  return p == nullptr || reinterpret_cast<uintptr_t>(p) % kVectorBytes == 0;
}

// items of `width` elements cover [0, items * width); elements [tail_begin, n) are done one by
// one. width 1: items == tail_begin == n.
struct VectorSplit {
  int64_t width = 1;
  int64_t items = 0;
  int64_t tail_begin = 0;
};

// `row` > 0: the kernel's math changes every `row` elements (e.g. batch norm's channel); vectors
// are used only when rows are whole vectors. Null pointers (absent optional buffers) are ignored.
inline VectorSplit vector_split(int64_t n, int64_t elem_bytes,
                                std::initializer_list<const void*> buffers, int64_t row = 0) {
  VectorSplit s{1, n, n};
  const int64_t width = vector_width(elem_bytes);
  if (width == 1 || (row > 0 && row % width != 0)) return s;
  for (const void* p : buffers)
    if (!vector_aligned(p)) return s;
  s.width = width;
  s.items = n / width;
  s.tail_begin = s.items * width;
  return s;
}

// Whether a grid-stride loop over `count` indices with step `grid_stride` can count in int32:
// the last index plus one step must not overflow.
inline bool index_fits_int32(int64_t count, int64_t grid_stride) {
  return count >= 0 && grid_stride >= 0 &&
         count + grid_stride <= std::numeric_limits<int32_t>::max();
}

}  // namespace cromss
