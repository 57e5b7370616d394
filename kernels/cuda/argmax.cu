// CUDA class argmax (kernels/argmax.h): one thread per pixel, math from kernels/argmax.cuh.
#include "core/cuda/context_cuda.h"
#include "kernels/argmax.cuh"
#include "kernels/argmax.h"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__global__ void argmax_kernel(const T* x, int64_t batch, int classes, int64_t pixels,
                              uint8_t* out) {
  const auto loader = [](const T* p, int64_t i) { return load(p, i); };
  CROMSS_GRID_STRIDE_LOOP(i, batch * pixels) {
    const int64_t b = i / pixels, p = i % pixels;
    out[i] = argmax_pixel(x + b * classes * pixels + p, pixels, classes, loader);
  }
}

}  // namespace

void argmax_channels(const void* x, DType dtype, int64_t batch, int classes, int64_t pixels,
                     uint8_t* out, const Context& ctx) {
  const int64_t n = batch * pixels;
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "argmax_channels", [&] {
    argmax_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(static_cast<const scalar_t*>(x),
                                                                  batch, classes, pixels, out);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
