// Memory owners. CPU memory is 64-byte aligned malloc. CUDA memory comes from a caching allocator
// per device: freed blocks go to size-bucketed free lists and are reused, so a training step
// after the first performs no cudaMalloc. Both track bytes in use and the high-water mark.
// Stream contract: a freed block is reusable as soon as its free is queued, which is safe for
// work on the compute stream (stream order). A writer on another stream (the batch uploader's
// copy stream) must first wait for the compute work queued so far (data/device_batch.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "core/device.h"

namespace cromss {

struct MemoryStats {
  size_t in_use = 0;  // bytes handed out and not yet returned
  size_t peak = 0;    // high-water mark of in_use
  size_t cached = 0;  // bytes held in free lists (CUDA only)
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) noexcept = 0;
  virtual MemoryStats stats() const = 0;
  virtual void reset_peak() = 0;
};

// The allocator serving a device; lives for the whole program.
Allocator& allocator_for(Device device);
MemoryStats memory_stats(Device device);
void reset_peak_memory(Device device);

// Rounds a request to the caching allocator's bucket size (512 B granularity below 1 MiB,
// 2 MiB above); exposed for tests.
size_t caching_bucket_size(size_t bytes);

// A caching allocator over an underlying raw allocate/free pair (the CUDA one in practice;
// tests drive it with malloc).
class CachingAllocator : public Allocator {
 public:
  using RawAlloc = void* (*)(size_t bytes, int device);
  using RawFree = void (*)(void* ptr, int device) noexcept;
  CachingAllocator(int device, RawAlloc raw_alloc, RawFree raw_free);
  ~CachingAllocator() override;
  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) noexcept override;
  MemoryStats stats() const override;
  void reset_peak() override;
  void release_cached() noexcept;  // returns every cached block to the raw allocator

 private:
  int device_;
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  mutable std::mutex mutex_;
  std::multimap<size_t, void*> free_blocks_;
  MemoryStats stats_;
};

// Page-locked host memory for fast, asynchronous host-to-device copies; plain aligned memory in
// a CPU-only build. Move-only.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& o) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  bool pinned_ = false;
};

}  // namespace cromss
