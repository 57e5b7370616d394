// Typed views of Context's handles for CUDA translation units.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/context.h"
#include "core/cuda_api.h"

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
inline cudaStream_t stream_of(int device, cuda_api::Stream stream) {
  const Context& ctx = Context::get(Device::cuda(device));
  switch (stream) {
    case cuda_api::Stream::copy:
      return static_cast<cudaStream_t>(ctx.copy_stream());
    case cuda_api::Stream::comm:
      return static_cast<cudaStream_t>(ctx.comm_stream());
    case cuda_api::Stream::compute:
      break;
  }
  return stream_of(ctx);
}

}  // namespace cromss
