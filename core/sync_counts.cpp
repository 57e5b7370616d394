// Process-wide host-synchronisation counters (engine/sync_counts.h).
#include "core/sync_counts.h"

#include <atomic>

namespace cromss {
namespace {

std::atomic<int64_t> g_device_to_host{0};
std::atomic<int64_t> g_synchronizations{0};

}  // namespace

SyncCounts sync_counts() {
  return {g_device_to_host.load(std::memory_order_relaxed),
          g_synchronizations.load(std::memory_order_relaxed)};
}

void count_device_to_host() {
  g_device_to_host.fetch_add(1, std::memory_order_relaxed);
}

void count_synchronization() {
  g_synchronizations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace cromss
