// CPU allocator, CUDA caching allocator and pinned host buffers (see allocator.h).
#include "core/allocator.h"

#include <cstdlib>
#include <memory>

#include "core/cuda_api.h"
#include "core/error.h"

namespace cromss {
namespace {

class CpuAllocator : public Allocator {
 public:
  void* allocate(size_t bytes) override {
    size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (!p) CROMSS_THROW(ValueError, "out of host memory allocating {} bytes", bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.in_use += bytes;
    if (stats_.in_use > stats_.peak) stats_.peak = stats_.in_use;
    return p;
  }
  void deallocate(void* ptr, size_t bytes) noexcept override {
    std::free(ptr);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.in_use -= bytes;
  }
  MemoryStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }
  void reset_peak() override {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak = stats_.in_use;
  }

 private:
  mutable std::mutex mutex_;
  MemoryStats stats_;
};

constexpr int kMaxDevices = 16;

}  // namespace

size_t caching_bucket_size(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kSplit = size_t{1} << 20;
  if (bytes == 0) return kSmall;
  size_t unit = bytes < kSplit ? kSmall : kLarge;
  return (bytes + unit - 1) / unit * unit;
}

CachingAllocator::CachingAllocator(int device, RawAlloc raw_alloc, RawFree raw_free)
    : device_(device), raw_alloc_(raw_alloc), raw_free_(raw_free) {}

CachingAllocator::~CachingAllocator() {
  release_cached();
}

void* CachingAllocator::allocate(size_t bytes) {
  size_t size = caching_bucket_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* p = nullptr;
  auto it = free_blocks_.find(size);
  if (it != free_blocks_.end()) {
    p = it->second;
    free_blocks_.erase(it);
    stats_.cached -= size;
  } else {
    p = raw_alloc_(size, device_);
    if (!p) {  // out of memory: give the cache back and try once more
      for (auto& [s, block] : free_blocks_) raw_free_(block, device_);
      free_blocks_.clear();
      stats_.cached = 0;
      p = raw_alloc_(size, device_);
    }
    if (!p)
      CROMSS_THROW(CudaError, "out of device memory on cuda:{} allocating {} bytes", device_, size);
  }
  stats_.in_use += size;
  if (stats_.in_use > stats_.peak) stats_.peak = stats_.in_use;
  return p;
}

void CachingAllocator::deallocate(void* ptr, size_t bytes) noexcept {
  size_t size = caching_bucket_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  free_blocks_.emplace(size, ptr);
  stats_.in_use -= size;
  stats_.cached += size;
}

MemoryStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak = stats_.in_use;
}

void CachingAllocator::release_cached() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [s, block] : free_blocks_) raw_free_(block, device_);
  free_blocks_.clear();
  stats_.cached = 0;
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
        [](void* p, int dev) noexcept { cuda_api::free_device(p, dev); });
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
