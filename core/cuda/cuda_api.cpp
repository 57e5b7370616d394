// CUDA runtime services for the device-independent engine (see core/cuda_api.h). Copies are
// issued on the device's compute stream so they are ordered with the kernels around them.
#include "core/cuda_api.h"

#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "core/sync_counts.h"

namespace cromss {

bool built_with_cuda() {
  return true;
}

namespace cuda_api {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the sticky error and report none
    return 0;
  }
  return n;
}

void set_device(int device) {
  CUDA_CHECK(cudaSetDevice(device));
}

void* malloc_device(size_t bytes, int device) {
  CUDA_CHECK(cudaSetDevice(device));
  // cudaMalloc is not a stream operation, but a capture in thread-local mode counts it as
  // "potentially unsafe": allow it for this call (a graph capture's private pool grows this way,
  // core/graph_capture.h), as PyTorch's caching allocator does.
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes);
  CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  if (status != cudaSuccess) {
    cudaGetLastError();
    return nullptr;  // the caching allocator frees its cache and retries
  }
  return p;
}

void free_device(void* ptr, int device) noexcept {
  // The stream may still use the block: wait for it before the memory can be handed out again
  // by the driver. Caching makes this rare (only when the cache is released).
  cudaSetDevice(device);
  cudaDeviceSynchronize();
  cudaFree(ptr);
}

void* malloc_pinned(size_t bytes) {
  void* p = nullptr;
  CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocDefault));
  return p;
}

void free_pinned(void* ptr) noexcept {
  cudaFreeHost(ptr);
}

void copy_host_to_device(void* dst, const void* src, size_t bytes, int device) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaStream_t s = stream_of(device);
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
  count_synchronization();
  CUDA_CHECK(cudaStreamSynchronize(s));  // the host buffer may be pageable and short-lived
}

void copy_device_to_host(void* dst, const void* src, size_t bytes, int device) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaStream_t s = stream_of(device);
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
  count_device_to_host();
  CUDA_CHECK(cudaStreamSynchronize(s));
}

void copy_device_to_device(void* dst, const void* src, size_t bytes, int device) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_of(device)));
}

void memset_device(void* dst, int value, size_t bytes, int device) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, stream_of(device)));
}

int compute_capability_major(int device) {
  int major = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  return major;
}

std::string device_name(int device) {
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

void synchronize(int device) {
  Context::get(Device::cuda(device)).synchronize();
}

void copy_host_to_device_async(void* dst, const void* src, size_t bytes, int device,
                               Stream stream) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_of(device, stream)));
}

void copy_device_to_host_async(void* dst, const void* src, size_t bytes, int device,
                               Stream stream) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_of(device, stream)));
}

void* event_create(int device) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaEvent_t event;
  CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  return event;
}

void event_destroy(void* event) noexcept {
  cudaEventDestroy(static_cast<cudaEvent_t>(event));
}

void event_record(void* event, int device, Stream stream) {
  CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), stream_of(device, stream)));
}

void stream_wait_event(int device, Stream stream, void* event) {
  CUDA_CHECK(cudaStreamWaitEvent(stream_of(device, stream), static_cast<cudaEvent_t>(event), 0));
}

bool event_query(void* event) {
  const cudaError_t status = cudaEventQuery(static_cast<cudaEvent_t>(event));
  if (status == cudaErrorNotReady) return false;
  CUDA_CHECK(status);
  return true;
}

void event_synchronize(void* event) {
  CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event)));
}

void* timing_event_create(int device) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaEvent_t event;
  CUDA_CHECK(cudaEventCreate(&event));
  return event;
}

float event_elapsed_ms(void* start, void* end) {
  CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(end)));
  float ms = 0;
  CUDA_CHECK(
      cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)));
  return ms;
}

void stream_begin_capture(int device, Stream stream) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaStreamBeginCapture(stream_of(device, stream), cudaStreamCaptureModeThreadLocal));
}

void* stream_end_capture(int device, Stream stream) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(stream_of(device, stream), &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t status = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  CUDA_CHECK(status);
  return exec;
}

void graph_launch(void* graph_exec, int device, Stream stream) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph_exec), stream_of(device, stream)));
}

void graph_destroy(void* graph_exec) noexcept {
  if (graph_exec) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph_exec));
}

void launch_host_func(int device, Stream stream, void (*fn)(void*), void* arg) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaLaunchHostFunc(stream_of(device, stream), fn, arg));
}

}  // namespace cuda_api
}  // namespace cromss
