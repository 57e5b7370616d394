// Status checks for CUDA-side code: every CUDA, cuDNN and cuBLAS call goes through one of these
// and failures throw the typed error (core/error.h) with file:line, the call and the message.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/error.h"

#define CUDA_CHECK(call)                                                            \
  do {                                                                              \
    cudaError_t status_ = (call);                                                   \
    if (status_ != cudaSuccess)                                                     \
      CROMSS_THROW(CudaError, "{} failed: {}", #call, cudaGetErrorString(status_)); \
  } while (0)

#define CUDNN_CHECK(call)                                                             \
  do {                                                                                \
    cudnnStatus_t status_ = (call);                                                   \
    if (status_ != CUDNN_STATUS_SUCCESS)                                              \
      CROMSS_THROW(CudnnError, "{} failed: {}", #call, cudnnGetErrorString(status_)); \
  } while (0)

#define CUBLAS_CHECK(call)                                                                 \
  do {                                                                                     \
    cublasStatus_t status_ = (call);                                                       \
    if (status_ != CUBLAS_STATUS_SUCCESS)                                                  \
      CROMSS_THROW(CublasError, "{} failed: status {}", #call, static_cast<int>(status_)); \
  } while (0)

// After a kernel launch: reports launch-configuration errors at the launch site.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
