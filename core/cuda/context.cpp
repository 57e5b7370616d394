// A CUDA device's context: streams, cuDNN and cuBLASLt handles, a cuBLASLt workspace per stream
// (see core/context.h).
// The CPU context holds none of them.
#include "core/context.h"

#include "core/cuda/check.h"
#include "core/sync_counts.h"

namespace cromss {
namespace {
constexpr size_t kCublasLtWorkspace = size_t{32} << 20;  // cuBLASLt recommends >= 32 MiB on Hopper
}

Context::Context(Device device) : device_(device) {
  if (device.is_cpu()) return;
  CUDA_CHECK(cudaSetDevice(device.index));
  for (void*& slot : streams_) {
    cudaStream_t stream;
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    slot = stream;
  }
  cudnnHandle_t cudnn;
  CUDNN_CHECK(cudnnCreate(&cudnn));
  CUDNN_CHECK(cudnnSetStream(cudnn, static_cast<cudaStream_t>(stream())));
  cudnn_ = cudnn;
  cublasLtHandle_t lt;
  CUBLAS_CHECK(cublasLtCreate(&lt));
  cublaslt_ = lt;
  for (void*& workspace : workspaces_) CUDA_CHECK(cudaMalloc(&workspace, kCublasLtWorkspace));
  workspace_bytes_ = kCublasLtWorkspace;
}

Context::~Context() {
  if (device_.is_cpu()) return;
  try {
    cudaSetDevice(device_.index);
    for (void* workspace : workspaces_)
      if (workspace) cudaFree(workspace);
    if (cublaslt_) cublasLtDestroy(static_cast<cublasLtHandle_t>(cublaslt_));
    if (cudnn_) cudnnDestroy(static_cast<cudnnHandle_t>(cudnn_));
    for (void* stream : streams_)
      if (stream) cudaStreamDestroy(static_cast<cudaStream_t>(stream));
  } catch (const std::exception& e) {
    log_destructor_error("Context::~Context", e.what());
  }
}

void Context::select_stream(cuda_api::Stream kind) {
  current_ = kind;
  if (cudnn_)
    CUDNN_CHECK(
        cudnnSetStream(static_cast<cudnnHandle_t>(cudnn_), static_cast<cudaStream_t>(stream())));
}

void Context::synchronize() const {
  if (device_.is_cpu()) return;
  CUDA_CHECK(cudaSetDevice(device_.index));
  count_synchronization();
  CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream())));
}

}  // namespace cromss
