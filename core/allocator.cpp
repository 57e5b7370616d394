// CPU allocator, CUDA caching allocator and pinned host buffers (see allocator.h).
#include "core/allocator.h"

#include <cstdlib>
#include <memory>

#include "core/context.h"
#include "core/cuda_api.h"
#include "core/error.h"

namespace cromss {
namespace {

class CpuAllocator : public Allocator {
 public:
  MemoryStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }
  void reset_peak() override {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak = stats_.in_use;
  }

 protected:
  void* raw_allocate(size_t bytes) override {
    size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (!p) CROMSS_THROW(ValueError, "out of host memory allocating {} bytes", bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.in_use += bytes;
    if (stats_.in_use > stats_.peak) stats_.peak = stats_.in_use;
    return p;
  }
  void raw_deallocate(void* ptr, size_t bytes) noexcept override {
    std::free(ptr);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.in_use -= bytes;
  }

 private:
  mutable std::mutex mutex_;
  MemoryStats stats_;
};

constexpr int kMaxDevices = 16;

// The streams of a CUDA device: the current one from its Context, events from the CUDA API layer.
class CudaStreamEvents : public StreamEvents {
 public:
  explicit CudaStreamEvents(int device) : device_(device) {}
  cuda_api::Stream current() override {
    return Context::get(Device::cuda(device_)).current_stream();
  }
  void* event_create() override { return cuda_api::event_create(device_); }
  void event_record(void* event, cuda_api::Stream stream) override {
    cuda_api::event_record(event, device_, stream);
  }
  bool event_done(void* event) override { return cuda_api::event_query(event); }
  void event_synchronize(void* event) override { cuda_api::event_synchronize(event); }
  void event_destroy(void* event) noexcept override { cuda_api::event_destroy(event); }

 private:
  int device_;
};

}  // namespace

void* Allocator::allocate(size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (active_pool_ >= 0 && std::this_thread::get_id() == capturing_thread_) {
      PrivatePool& pool = pools_[active_pool_];
      const auto key = std::make_pair(current_stream(), caching_bucket_size(bytes));
      if (auto it = pool.free_blocks.find(key); it != pool.free_blocks.end()) {
        void* p = it->second;
        pool.free_blocks.erase(it);
        pool.blocks.at(p).in_use = true;
        return p;
      }
      void* p = raw_allocate(key.second);
      pool.blocks.emplace(p, PoolBlock{key.first, key.second, true});
      pool_of_.emplace(p, active_pool_);
      return p;
    }
  }
  return raw_allocate(bytes);
}

void Allocator::deallocate(void* ptr, size_t bytes) noexcept {
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (auto owner = pool_of_.find(ptr); owner != pool_of_.end()) {
      PrivatePool& pool = pools_[owner->second];
      PoolBlock& block = pool.blocks.at(ptr);
      block.in_use = false;
      if (owner->second == active_pool_ && block.stream == current_stream())
        pool.free_blocks.emplace(std::make_pair(block.stream, block.size), ptr);
      return;
    }
    if (auto orphan = orphans_.find(ptr); orphan != orphans_.end()) {
      bytes = orphan->second;
      orphans_.erase(orphan);
    }
  }
  raw_deallocate(ptr, bytes);
}

int Allocator::begin_private_pool() {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  CROMSS_CHECK(active_pool_ < 0, "begin_private_pool: a capture is already running");
  active_pool_ = next_pool_++;
  pools_[active_pool_];
  capture_underway_ = true;
  capturing_thread_ = std::this_thread::get_id();
  return active_pool_;
}

void Allocator::end_private_pool() {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  active_pool_ = -1;
  capture_underway_ = false;
}

void Allocator::release_private_pool(int pool_id) noexcept {
  std::unique_lock<std::mutex> lock(pool_mutex_);
  auto it = pools_.find(pool_id);
  if (it == pools_.end()) return;
  PrivatePool pool = std::move(it->second);
  pools_.erase(it);
  if (active_pool_ == pool_id) {
    active_pool_ = -1;
    capture_underway_ = false;
  }
  for (const auto& [ptr, block] : pool.blocks) {
    pool_of_.erase(ptr);
    if (block.in_use) orphans_.emplace(ptr, block.size);
  }
  lock.unlock();
  for (const auto& [ptr, block] : pool.blocks)
    if (!block.in_use) raw_deallocate(ptr, block.size);
}

size_t Allocator::private_pool_blocks(int pool_id) const {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  auto it = pools_.find(pool_id);
  return it == pools_.end() ? 0 : it->second.blocks.size();
}

size_t caching_bucket_size(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kSplit = size_t{1} << 20;
  if (bytes == 0) return kSmall;
  size_t unit = bytes < kSplit ? kSmall : kLarge;
  return (bytes + unit - 1) / unit * unit;
}

CachingAllocator::CachingAllocator(int device, RawAlloc raw_alloc, RawFree raw_free,
                                   std::unique_ptr<StreamEvents> streams)
    : device_(device), raw_alloc_(raw_alloc), raw_free_(raw_free), streams_(std::move(streams)) {}

CachingAllocator::~CachingAllocator() {
  release_cached();
}

CachingAllocator::Stream CachingAllocator::current_stream() const {
  return streams_ ? streams_->current() : Stream::compute;
}

void CachingAllocator::collect_completed() {
  for (auto& [freed_on, queue] : pending_) {
    // Events recorded on one stream complete in record order: stop at the first one still running.
    while (!queue.empty() && streams_->event_done(queue.front().event)) {
      const Pending& p = queue.front();
      free_blocks_.emplace(std::make_pair(p.owner, p.size), p.ptr);
      spare_events_.push_back(p.event);
      queue.pop_front();
    }
  }
}

void CachingAllocator::wait_for_pending() {
  for (auto& [freed_on, queue] : pending_)
    if (!queue.empty()) streams_->event_synchronize(queue.back().event);
  collect_completed();
}

void* CachingAllocator::raw_allocate(size_t bytes) {
  size_t size = caching_bucket_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  const Stream stream = current_stream();
  const auto key = std::make_pair(stream, size);
  void* p = nullptr;
  auto it = free_blocks_.find(key);
  if (it == free_blocks_.end() && !pending_.empty() && !capture_underway()) {
    // A miss: collect what completed first.
    collect_completed();
    it = free_blocks_.find(key);
  }
  if (it != free_blocks_.end()) {
    p = it->second;
    free_blocks_.erase(it);
    stats_.cached -= size;
  } else {
    p = raw_alloc_(size, device_);
    if (!p) {  // out of memory: give the cache back and try once more
      if (!pending_.empty()) wait_for_pending();
      release_free_blocks();
      p = raw_alloc_(size, device_);
    }
    if (!p)
      CROMSS_THROW(CudaError, "out of device memory on cuda:{} allocating {} bytes", device_, size);
  }
  if (stream != Stream::compute) owner_.emplace(p, stream);
  stats_.in_use += size;
  if (stats_.in_use > stats_.peak) stats_.peak = stats_.in_use;
  return p;
}

void CachingAllocator::raw_deallocate(void* ptr, size_t bytes) noexcept {
  size_t size = caching_bucket_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  Stream owner = Stream::compute;
  if (auto it = owner_.find(ptr); it != owner_.end()) {
    owner = it->second;
    owner_.erase(it);
  }
  stats_.in_use -= size;
  stats_.cached += size;
  const Stream freed_on = current_stream();
  if (freed_on == owner) {
    free_blocks_.emplace(std::make_pair(owner, size), ptr);
    return;
  }
  try {
    void* event = nullptr;
    if (!spare_events_.empty()) {
      event = spare_events_.back();
      spare_events_.pop_back();
    } else {
      event = streams_->event_create();
    }
    streams_->event_record(event, freed_on);
    pending_[freed_on].push_back({ptr, size, owner, event});
  } catch (const std::exception& e) {
    // No event: keeping the block out of every pool is the only safe choice left.
    stats_.cached -= size;
    log_destructor_error("CachingAllocator::deallocate", e.what());
  }
}

MemoryStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak = stats_.in_use;
}

size_t CachingAllocator::pending_blocks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& [freed_on, queue] : pending_) n += queue.size();
  return n;
}

void CachingAllocator::release_free_blocks() noexcept {
  for (auto& [key, block] : free_blocks_) {
    raw_free_(block, device_);
    stats_.cached -= key.second;
  }
  free_blocks_.clear();
}

void CachingAllocator::release_cached() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    if (!pending_.empty()) wait_for_pending();
  } catch (const std::exception& e) {
    log_destructor_error("CachingAllocator::release_cached", e.what());
  }
  release_free_blocks();
  for (void* event : spare_events_) streams_->event_destroy(event);
  spare_events_.clear();
}

Allocator& allocator_for(Device device) {
  static CpuAllocator cpu;
  if (device.is_cpu()) return cpu;
  CROMSS_CHECK(device.index >= 0 && device.index < kMaxDevices, "invalid device {}", device.str());
  CROMSS_CHECK(device.index < cuda_device_count(), "device {} is not available ({} CUDA devices)",
               device.str(), cuda_device_count());
  // Leaked on purpose: device memory must not be freed after the CUDA runtime has shut down.
  static std::unique_ptr<CachingAllocator>* cuda =
      new std::unique_ptr<CachingAllocator>[kMaxDevices];
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cuda[device.index];
  if (!slot) {
    slot = std::make_unique<CachingAllocator>(
        device.index,
        [](size_t bytes, int dev) -> void* { return cuda_api::malloc_device(bytes, dev); },
        [](void* p, int dev) noexcept { cuda_api::free_device(p, dev); },
        std::make_unique<CudaStreamEvents>(device.index));
  }
  return *slot;
}

MemoryStats memory_stats(Device device) {
  return allocator_for(device).stats();
}
void reset_peak_memory(Device device) {
  allocator_for(device).reset_peak();
}

PinnedBuffer::PinnedBuffer(size_t bytes) : bytes_(bytes) {
  if (cuda_device_count() > 0) {
    data_ = cuda_api::malloc_pinned(bytes);
    pinned_ = true;
  } else {
    data_ = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!data_) CROMSS_THROW(ValueError, "out of host memory allocating {} bytes", bytes);
  }
}

PinnedBuffer::~PinnedBuffer() {
  if (!data_) return;
  if (pinned_)
    cuda_api::free_pinned(data_);
  else
    std::free(data_);
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& o) noexcept
    : data_(o.data_), bytes_(o.bytes_), pinned_(o.pinned_) {
  o.data_ = nullptr;
  o.bytes_ = 0;
}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& o) noexcept {
  if (this != &o) {
    this->~PinnedBuffer();
    data_ = o.data_;
    bytes_ = o.bytes_;
    pinned_ = o.pinned_;
    o.data_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

}  // namespace cromss
