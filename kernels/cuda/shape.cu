// CUDA block copy (see kernels/shape.h): one cudaMemcpy2DAsync on the compute stream.
#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "kernels/shape.h"

namespace cromss::cuda_kernels {

void copy_2d(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
             int64_t rows, const Context& ctx) {
  if (row_bytes == 0 || rows == 0) return;
  CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, row_bytes, static_cast<size_t>(rows),
                               cudaMemcpyDeviceToDevice, stream_of(ctx)));
}

}  // namespace cromss::cuda_kernels
