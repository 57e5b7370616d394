// Typed views of Context's handles for CUDA translation units.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "engine/context.h"

namespace cromss {

inline cudaStream_t stream_of(const Context& ctx) {
  return static_cast<cudaStream_t>(ctx.stream());
}
inline cudnnHandle_t cudnn_of(const Context& ctx) {
  return static_cast<cudnnHandle_t>(ctx.cudnn());
}
inline cublasLtHandle_t cublaslt_of(const Context& ctx) {
  return static_cast<cublasLtHandle_t>(ctx.cublaslt());
}
inline cudaStream_t stream_of(int device) {
  return stream_of(Context::get(Device::cuda(device)));
}

}  // namespace cromss
