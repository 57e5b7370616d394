// CPU-only build: no CUDA device exists; any attempt to use one is a clear error.
#include "core/context.h"
#include "core/cuda_api.h"
#include "core/error.h"

namespace cromss {

bool built_with_cuda() {
  return false;
}

#define CROMSS_NO_CUDA() \
  CROMSS_THROW(CudaError, "this cromss was built without CUDA (-DCROMSS_CUDA=OFF)")

Context::Context(Device device) : device_(device) {
  if (device.is_cuda()) CROMSS_NO_CUDA();
}
Context::~Context() = default;
void Context::select_stream(cuda_api::Stream kind) {
  current_ = kind;
}
void Context::synchronize() const {}

namespace cuda_api {
int device_count() {
  return 0;
}
void set_device(int) {
  CROMSS_NO_CUDA();
}
void* malloc_device(size_t, int) {
  CROMSS_NO_CUDA();
}
void free_device(void*, int) noexcept {}
void* malloc_pinned(size_t) {
  CROMSS_NO_CUDA();
}
void free_pinned(void*) noexcept {}
void copy_host_to_device(void*, const void*, size_t, int) {
  CROMSS_NO_CUDA();
}
void copy_device_to_host(void*, const void*, size_t, int) {
  CROMSS_NO_CUDA();
}
void copy_device_to_device(void*, const void*, size_t, int) {
  CROMSS_NO_CUDA();
}
void memset_device(void*, int, size_t, int) {
  CROMSS_NO_CUDA();
}
void synchronize(int) {}
int compute_capability_major(int) {
  CROMSS_NO_CUDA();
}
std::string device_name(int) {
  CROMSS_NO_CUDA();
}
void copy_host_to_device_async(void*, const void*, size_t, int, Stream) {
  CROMSS_NO_CUDA();
}
void copy_device_to_host_async(void*, const void*, size_t, int, Stream) {
  CROMSS_NO_CUDA();
}
void* event_create(int) {
  CROMSS_NO_CUDA();
}
void event_destroy(void*) noexcept {}
void event_record(void*, int, Stream) {
  CROMSS_NO_CUDA();
}
void stream_wait_event(int, Stream, void*) {
  CROMSS_NO_CUDA();
}
void event_synchronize(void*) {
  CROMSS_NO_CUDA();
}
bool event_query(void*) {
  CROMSS_NO_CUDA();
}
void* timing_event_create(int) {
  CROMSS_NO_CUDA();
}
float event_elapsed_ms(void*, void*) {
  CROMSS_NO_CUDA();
}
void stream_begin_capture(int, Stream) {
  CROMSS_NO_CUDA();
}
void* stream_end_capture(int, Stream) {
  CROMSS_NO_CUDA();
}
void graph_launch(void*, int, Stream) {
  CROMSS_NO_CUDA();
}
void graph_destroy(void*) noexcept {}
void launch_host_func(int, Stream, void (*)(void*), void*) {
  CROMSS_NO_CUDA();
}
}  // namespace cuda_api

}  // namespace cromss
