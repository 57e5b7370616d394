// Context for a CUDA device: stream, cuDNN and cuBLASLt handles, workspaces (see context.h).
#include "core/context.h"

#include <memory>
#include <mutex>

#include "core/cuda/check.h"
#include "core/sync_counts.h"

namespace cromss {
namespace {
constexpr size_t kCublasLtWorkspace = size_t{32} << 20;  // cuBLASLt recommends >= 32 MiB on Hopper
}

Context& Context::get(Device device) {
  CROMSS_CHECK(device.is_cuda(), "Context::get needs a CUDA device, got {}", device.str());
  CROMSS_CHECK(device.index < cuda_device_count(), "device {} is not available ({} CUDA devices)",
               device.str(), cuda_device_count());
  static std::mutex mutex;
  // Leaked on purpose: handles must not be destroyed after the CUDA runtime has shut down.
  static auto* contexts = new std::unique_ptr<Context>[64];
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = contexts[device.index];
  if (!slot) slot = std::make_unique<Context>(device.index);
  return *slot;
}

Context::Context(int device) : device_(device) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  stream_ = stream;
  cudaStream_t copy_stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&copy_stream, cudaStreamNonBlocking));
  copy_stream_ = copy_stream;
  cudaStream_t comm_stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&comm_stream, cudaStreamNonBlocking));
  comm_stream_ = comm_stream;
  cudnnHandle_t cudnn;
  CUDNN_CHECK(cudnnCreate(&cudnn));
  CUDNN_CHECK(cudnnSetStream(cudnn, stream));
  cudnn_ = cudnn;
  cublasLtHandle_t lt;
  CUBLAS_CHECK(cublasLtCreate(&lt));
  cublaslt_ = lt;
  CUDA_CHECK(cudaMalloc(&workspace_, kCublasLtWorkspace));
  workspace_bytes_ = kCublasLtWorkspace;
}

Context::~Context() {
  try {
    cudaSetDevice(device_);
    if (scratch_) cudaFree(scratch_);
    if (workspace_) cudaFree(workspace_);
    if (cublaslt_) cublasLtDestroy(static_cast<cublasLtHandle_t>(cublaslt_));
    if (cudnn_) cudnnDestroy(static_cast<cudnnHandle_t>(cudnn_));
    if (comm_stream_) cudaStreamDestroy(static_cast<cudaStream_t>(comm_stream_));
    if (copy_stream_) cudaStreamDestroy(static_cast<cudaStream_t>(copy_stream_));
    if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
  } catch (const std::exception& e) {
    log_destructor_error("Context::~Context", e.what());
  }
}

void* Context::scratch(size_t bytes) {
  if (bytes <= scratch_bytes_) return scratch_;
  CUDA_CHECK(cudaSetDevice(device_));
  count_synchronization();
  CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_)));
  if (scratch_) CUDA_CHECK(cudaFree(scratch_));
  scratch_ = nullptr;
  CUDA_CHECK(cudaMalloc(&scratch_, bytes));
  scratch_bytes_ = bytes;
  return scratch_;
}

void Context::synchronize() const {
  CUDA_CHECK(cudaSetDevice(device_));
  count_synchronization();
  CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_)));
}

}  // namespace cromss
