// The few CUDA runtime services the device-independent engine needs (allocation, copies,
// device count), declared without CUDA types so that ordinary .cpp files never include CUDA
// headers. Implemented in core/cuda/cuda_api.cpp; a CPU-only build gets
// core/cpu_only/cuda_api_stub.cpp, whose functions throw a clear error (device_count is 0).
#pragma once

#include <cstddef>
#include <string>

namespace cromss::cuda_api {

int device_count();
void set_device(int device);
void* malloc_device(size_t bytes, int device);
void free_device(void* ptr, int device) noexcept;
void* malloc_pinned(size_t bytes);
void free_pinned(void* ptr) noexcept;
// Copies are ordered on the device's compute stream (Context); host-side copies synchronize.
void copy_host_to_device(void* dst, const void* src, size_t bytes, int device);
void copy_device_to_host(void* dst, const void* src, size_t bytes, int device);
void copy_device_to_device(void* dst, const void* src, size_t bytes, int device);
void memset_device(void* dst, int value, size_t bytes, int device);
void synchronize(int device);
int compute_capability_major(int device);
std::string device_name(int device);  // e.g. "NVIDIA H100 80GB HBM3"

// Side streams beside the compute stream: `copy` for host-to-device uploads, so input copies
// overlap compute (data/device_batch.h); `comm` for the gradient all-reduce, so it overlaps
// backward (comm/distributed.h GradientBuckets); `branch` for the S1 branch's forward, so it
// overlaps the S2 branch's (models/segmentation_net.h). Events order the streams on the device
// without host syncs.
enum class Stream { compute, copy, comm, branch };
constexpr int kStreamCount = 4;
void copy_host_to_device_async(void* dst, const void* src, size_t bytes, int device, Stream stream);
// Into pinned host memory, ordered on `stream`; the host reads it after an event recorded behind
// it (engine/step_readout.h). Not a host sync, so not counted (core/sync_counts.h).
void copy_device_to_host_async(void* dst, const void* src, size_t bytes, int device, Stream stream);
void* event_create(int device);
void event_destroy(void* event) noexcept;
void event_record(void* event, int device, Stream stream);
void stream_wait_event(int device, Stream stream, void* event);  // device-side wait
void event_synchronize(void* event);                             // host waits
bool event_query(void* event);  // true once the work before the record has run; no host wait
// Events that record a timestamp, for the op profiler (engine/op_profiler.h). event_elapsed_ms
// waits for `end` (not counted as a host sync of the step: the profiler reads its events once,
// after the measured steps) and returns the milliseconds from `start` to `end`.
void* timing_event_create(int device);
float event_elapsed_ms(void* start, void* end);

// CUDA graphs of one stream (core/graph_capture.h): capture in thread-local mode (other threads,
// e.g. the loader's, may keep calling the runtime), end the capture and instantiate the graph
// (an opaque cudaGraphExec_t), launch it, destroy it.
void stream_begin_capture(int device, Stream stream);
void* stream_end_capture(int device, Stream stream);
void graph_launch(void* graph_exec, int device, Stream stream);
void graph_destroy(void* graph_exec) noexcept;
// fn(arg) on the host once the stream reaches this point (cudaLaunchHostFunc; a host node when
// the stream is being captured). fn must not call CUDA.
void launch_host_func(int device, Stream stream, void (*fn)(void*), void* arg);

}  // namespace cromss::cuda_api
