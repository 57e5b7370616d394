// Memory owners. CPU memory is 64-byte aligned malloc. CUDA memory comes from a caching allocator
// per device: freed blocks go to size-bucketed free lists and are reused, so a training step
// after the first performs no cudaMalloc. Both track bytes in use and the high-water mark.
// Stream contract: every block belongs to the stream that was current (core/context.h StreamScope)
// when it was allocated, and is handed out again only for work on that stream. Freed on its own
// stream, it is reusable at once (stream order). Freed while another stream is current (a block
// of the compute stream freed inside a side-stream scope, or a side-stream block freed after the
// join), an event is recorded on that stream at the free and the block returns to its owner's
// pool only once the event has completed (PyTorch's record_stream idea). A writer on a stream
// that allocated nothing (the batch uploader's copy stream) must still wait for the compute work
// queued so far before writing a block it did not allocate (data/device_batch.cpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/cuda_api.h"
#include "core/device.h"

namespace cromss {

struct MemoryStats {
  size_t in_use = 0;  // bytes handed out and not yet returned
  size_t peak = 0;    // high-water mark of in_use
  size_t cached = 0;  // bytes held in free lists (CUDA only)
};

// allocate()/deallocate() serve the calling thread's active private pool first (graph capture,
// below) and the device's memory (raw_allocate/raw_deallocate) otherwise.
//
// Private pools (core/graph_capture.h): a captured graph bakes in the addresses of everything
// it touches, so the memory its capture allocated must stay its own for as long as it may be
// replayed. Between begin_private_pool() and end_private_pool(), allocations made by the
// capturing thread come from a pool private to that capture; a block freed on its own stream
// inside the capture may be reused by later allocations of the same capture (stream order makes
// that safe, as in eager execution); any other free (another stream, or after the capture)
// leaves the block reserved. release_private_pool() gives the pool's memory back once no replay
// can run any more; a block still in use then (a tensor that outlived its graph) leaves the pool
// and is freed normally when its owner lets go.
class Allocator {
 public:
  virtual ~Allocator() = default;
  void* allocate(size_t bytes);
  void deallocate(void* ptr, size_t bytes) noexcept;
  virtual MemoryStats stats() const = 0;
  virtual void reset_peak() = 0;

  int begin_private_pool();  // returns the pool's id; one capture at a time
  void end_private_pool();
  void release_private_pool(int pool) noexcept;
  size_t private_pool_blocks(int pool) const;  // blocks the pool holds (in use or not)

 protected:
  virtual void* raw_allocate(size_t bytes) = 0;
  virtual void raw_deallocate(void* ptr, size_t bytes) noexcept = 0;
  virtual cuda_api::Stream current_stream() const { return cuda_api::Stream::compute; }
  // True between begin_private_pool() and end_private_pool(): a CUDA capture forbids event
  // queries, so the caching allocator leaves its pending blocks alone meanwhile.
  bool capture_underway() const { return capture_underway_.load(); }

 private:
  struct PoolBlock {
    cuda_api::Stream stream;
    size_t size;
    bool in_use;
  };
  struct PrivatePool {
    std::multimap<std::pair<cuda_api::Stream, size_t>, void*> free_blocks;
    std::unordered_map<void*, PoolBlock> blocks;
  };
  mutable std::mutex pool_mutex_;
  std::map<int, PrivatePool> pools_;
  std::unordered_map<void*, int> pool_of_;
  std::unordered_map<void*, size_t> orphans_;  // in use at their pool's release: size to free
  int active_pool_ = -1;
  std::atomic<bool> capture_underway_{false};
  int next_pool_ = 0;
  std::thread::id capturing_thread_;
};

// The allocator serving a device; lives for the whole program.
Allocator& allocator_for(Device device);
MemoryStats memory_stats(Device device);
void reset_peak_memory(Device device);

// Rounds a request to the caching allocator's bucket size (512 B granularity below 1 MiB,
// 2 MiB above); exposed for tests.
size_t caching_bucket_size(size_t bytes);

// What the caching allocator needs to know about a device's streams: which one is current, and
// events that tell when a stream has run past a point. The CUDA one asks the device's Context and
// the CUDA API layer (core/cuda_api.h); tests fake it on the CPU.
class StreamEvents {
 public:
  virtual ~StreamEvents() = default;
  virtual cuda_api::Stream current() = 0;
  virtual void* event_create() = 0;
  virtual void event_record(void* event, cuda_api::Stream stream) = 0;
  virtual bool event_done(void* event) = 0;         // true once the stream has passed the record
  virtual void event_synchronize(void* event) = 0;  // the host waits (out-of-memory path only)
  virtual void event_destroy(void* event) noexcept = 0;
};

// A caching allocator over an underlying raw allocate/free pair (the CUDA one in practice;
// tests drive it with malloc), following the stream contract above. Without `streams` every
// block is on the compute stream.
class CachingAllocator : public Allocator {
 public:
  using RawAlloc = void* (*)(size_t bytes, int device);
  using RawFree = void (*)(void* ptr, int device) noexcept;
  CachingAllocator(int device, RawAlloc raw_alloc, RawFree raw_free,
                   std::unique_ptr<StreamEvents> streams = nullptr);
  ~CachingAllocator() override;
  MemoryStats stats() const override;
  void reset_peak() override;
  void release_cached() noexcept;  // returns every cached block to the raw allocator
  size_t pending_blocks() const;   // freed blocks waiting for another stream's event

 private:
  using Stream = cuda_api::Stream;
  void* raw_allocate(size_t bytes) override;
  void raw_deallocate(void* ptr, size_t bytes) noexcept override;
  struct Pending {  // a block freed while `freed_on` was current, waiting for `event`
    void* ptr;
    size_t size;
    Stream owner;
    void* event;
  };
  Stream current_stream() const override;
  void collect_completed();  // moves pending blocks whose event completed to their owner's pool
  void wait_for_pending();   // the host waits for every pending block (out-of-memory path)
  void release_free_blocks() noexcept;

  int device_;
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  std::unique_ptr<StreamEvents> streams_;
  mutable std::mutex mutex_;
  std::multimap<std::pair<Stream, size_t>, void*> free_blocks_;  // by owner stream and size
  std::unordered_map<void*, Stream> owner_;        // blocks in use that a side stream allocated
  std::map<Stream, std::deque<Pending>> pending_;  // by the stream current at the free (FIFO)
  std::vector<void*> spare_events_;
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
