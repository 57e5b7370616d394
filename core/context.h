// One execution context per CUDA device: the compute stream (plus side streams for uploads and
// for gradient all-reduces), the cuDNN handle, the cuBLASLt handle and its workspace. Created
// lazily on first use and passed to every CUDA kernel wrapper; no layer owns handles or streams of
// its own (DESIGN.md). The handles are exposed as opaque pointers here so that ordinary translation
// units need no CUDA headers; CUDA code casts them with the typed accessors of
// core/cuda/context_cuda.h.
#pragma once

#include <cstddef>
#include <memory>

#include "core/device.h"

namespace cromss {

class Context {
 public:
  static Context& get(Device device);  // device must be cuda:N with N < cuda_device_count()
  explicit Context(int device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const { return device_; }
  void* stream() const { return stream_; }
  void* copy_stream() const { return copy_stream_; }  // side stream for host-to-device uploads
  void* comm_stream() const { return comm_stream_; }  // side stream for NCCL gradient all-reduces
  void* cudnn() const { return cudnn_; }
  void* cublaslt() const { return cublaslt_; }
  void* workspace() const { return workspace_; }
  size_t workspace_bytes() const { return workspace_bytes_; }
  // Scratch memory for cuDNN algorithms; grows (never shrinks) to at least `bytes`.
  void* scratch(size_t bytes);
  void synchronize() const;

 private:
  int device_ = 0;
  void* stream_ = nullptr;
  void* copy_stream_ = nullptr;
  void* comm_stream_ = nullptr;
  void* cudnn_ = nullptr;
  void* cublaslt_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
};

}  // namespace cromss
