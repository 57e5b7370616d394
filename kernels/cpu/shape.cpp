// CPU block copy (see kernels/shape.h).
#include "kernels/shape.h"

#include <cstring>

namespace cromss::cpu_kernels {

void copy_2d(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
             int64_t rows, const Context&) {
  if (row_bytes == 0) return;
  auto d = static_cast<char*>(dst);
  auto s = static_cast<const char*>(src);
  for (int64_t r = 0; r < rows; ++r) std::memcpy(d + r * dst_pitch, s + r * src_pitch, row_bytes);
}

}  // namespace cromss::cpu_kernels
