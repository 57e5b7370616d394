// CUDA confusion-matrix accumulation (kernels/confusion.h); math in kernels/confusion.cuh.
// Each block counts into a shared-memory histogram (32-bit, at most blockDim * pixels-per-thread
// per block, far below 2^32) and then adds it to the global int64 matrix with one 64-bit
// atomicAdd per nonzero slot, so the global atomics scale with classes, not pixels.
#include "core/cuda/context_cuda.h"
#include "kernels/confusion.cuh"
#include "kernels/confusion.h"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

constexpr int kMaxSharedSlots = 64 * 64 + 1;

template <class T>
__global__ void confusion_kernel(const T* pred, const T* target, int64_t n, int64_t n_classes,
                                 int64_t ignore, unsigned long long* counts) {
  extern __shared__ unsigned int hist[];
  const int64_t slots = n_classes * n_classes + 1;
  for (int64_t s = threadIdx.x; s < slots; s += blockDim.x) hist[s] = 0;
  __syncthreads();
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t slot = confusion_slot(static_cast<int64_t>(target[i]),
                                        static_cast<int64_t>(pred[i]), n_classes, ignore);
    if (slot >= 0) atomicAdd(&hist[slot], 1u);
  }
  __syncthreads();
  for (int64_t s = threadIdx.x; s < slots; s += blockDim.x)
    if (hist[s] != 0) atomicAdd(&counts[s], static_cast<unsigned long long>(hist[s]));
}

}  // namespace

void confusion_accumulate(const void* pred, const void* target, DType label_dtype, int64_t n,
                          int64_t n_classes, int64_t ignore_index, int64_t* counts,
                          const Context& ctx) {
  if (n == 0) return;
  CROMSS_CHECK(n_classes * n_classes + 1 <= kMaxSharedSlots,
               "confusion matrix on CUDA: at most 64 classes, got {}", n_classes);
  const size_t shared = static_cast<size_t>(n_classes * n_classes + 1) * sizeof(unsigned int);
  auto* out = reinterpret_cast<unsigned long long*>(counts);
  cudaStream_t stream = stream_of(ctx);
  auto launch = [&](auto* p, auto* t) {
    confusion_kernel<<<blocks_for(n), kThreads, shared, stream>>>(p, t, n, n_classes, ignore_index,
                                                                  out);
  };
  switch (label_dtype) {
    case DType::u8:
      launch(static_cast<const uint8_t*>(pred), static_cast<const uint8_t*>(target));
      break;
    case DType::i32:
      launch(static_cast<const int32_t*>(pred), static_cast<const int32_t*>(target));
      break;
    case DType::i64:
      launch(static_cast<const int64_t*>(pred), static_cast<const int64_t*>(target));
      break;
    default:
      CROMSS_THROW(ValueError, "confusion matrix: labels must be u8, i32 or i64, got {}",
                   dtype_name(label_dtype));
  }
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
