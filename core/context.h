// The execution context of one device, handed explicitly to every kernel (kernels/*.h take a
// `const Context&` as their last argument; no kernel looks a context up by device index).
// A CUDA context owns the streams (compute, plus side streams for uploads, gradient all-reduces
// and the S1 branch), the cuDNN and cuBLASLt handles and one cuBLASLt workspace per stream (so
// GEMMs on two streams never share one); it is created lazily on first use and lives for the
// whole program. The CPU context carries no handles. Kernels launch on stream(): the compute
// stream, or the side stream a StreamScope selected (see below). The handles
// are opaque pointers here so that ordinary translation units need no CUDA headers; CUDA code
// casts them with the typed accessors of core/cuda/context_cuda.h.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>

#include "core/cuda_api.h"
#include "core/device.h"

namespace cromss {

class Context {
 public:
  // The context of `device`: the CPU context, or cuda:N's (N < cuda_device_count()).
  static Context& get(Device device);
  explicit Context(Device device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Device device() const { return device_; }
  int index() const { return device_.index; }
  // Where kernels run now: the compute stream unless a StreamScope selected a side stream.
  void* stream() const { return stream_of_kind(current_); }
  cuda_api::Stream current_stream() const { return current_; }
  void* stream_of_kind(cuda_api::Stream kind) const;
  void* cudnn() const { return cudnn_; }
  void* cublaslt() const { return cublaslt_; }
  // The cuBLASLt workspace of the current stream.
  void* workspace() const { return workspaces_[static_cast<int>(current_)]; }
  size_t workspace_bytes() const { return workspace_bytes_; }
  void synchronize() const;  // the host waits for stream()

  // Graph capture (core/graph_capture.h). While one runs, host tasks of the step go to the
  // graph's list (run_host_task), and on the CPU so does every kernel call (engine/dispatch.h
  // appends to host_recording() instead of running it); host_recording() is null on CUDA, where
  // the stream itself is captured. A deque: the CUDA graph's host nodes point into it.
  using HostCalls = std::deque<std::function<void()>>;
  bool capturing() const { return capture_calls_ != nullptr; }
  HostCalls* host_recording() const { return device_.is_cpu() ? capture_calls_ : nullptr; }

 private:
  friend class StreamScope;
  friend class CapturedGraph;
  friend void run_host_task(Context& ctx, std::function<void()> task);
  void select_stream(cuda_api::Stream kind);  // also points the cuDNN handle at it

  Device device_;
  cuda_api::Stream current_ = cuda_api::Stream::compute;
  void* streams_[cuda_api::kStreamCount] = {};     // indexed by cuda_api::Stream
  void* workspaces_[cuda_api::kStreamCount] = {};  // likewise
  void* cudnn_ = nullptr;
  void* cublaslt_ = nullptr;
  size_t workspace_bytes_ = 0;
  HostCalls* capture_calls_ = nullptr;
};

// Runs the ops issued in its scope on a side stream of `ctx` (e.g. Stream::copy), restoring the
// previous stream on exit. Ordering against the compute stream is the caller's: record an event
// on one stream and make the other wait for it (cuda_api::event_record / stream_wait_event).
// A CPU context has one implicit stream: the scope changes nothing there. Scopes nest; they are
// not meant to be shared across threads (one thread drives a device's kernels).
class StreamScope {
 public:
  StreamScope(Context& ctx, cuda_api::Stream kind);
  ~StreamScope();
  StreamScope(const StreamScope&) = delete;
  StreamScope& operator=(const StreamScope&) = delete;

 private:
  Context& ctx_;
  cuda_api::Stream previous_;
};

}  // namespace cromss
