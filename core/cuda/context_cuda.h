// Typed views of Context's handles for CUDA translation units.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/context.h"
#include "core/cuda_api.h"

namespace cromss {

// The stream a kernel launches on: the context's current stream (see StreamScope).
inline cudaStream_t stream_of(const Context& ctx) {
  return static_cast<cudaStream_t>(ctx.stream());
}
inline cudnnHandle_t cudnn_of(const Context& ctx) {
  return static_cast<cudnnHandle_t>(ctx.cudnn());
}
inline cublasLtHandle_t cublaslt_of(const Context& ctx) {
  return static_cast<cublasLtHandle_t>(ctx.cublaslt());
}
// For the CUDA API layer (core/cuda_api.h), whose functions take a device index.
inline cudaStream_t stream_of(int device) {
  return stream_of(Context::get(Device::cuda(device)));
}
inline cudaStream_t stream_of(int device, cuda_api::Stream stream) {
  return static_cast<cudaStream_t>(Context::get(Device::cuda(device)).stream_of_kind(stream));
}

}  // namespace cromss
