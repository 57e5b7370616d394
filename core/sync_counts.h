// Counts of the host synchronisations the engine asks the CUDA runtime for, so that tests can
// assert that a training step in the steady state waits for the device nowhere
// (tests/gpu/step_sync_test.cpp): blocking device-to-host copies, and stream or device
// synchronisations (including the one a blocking host-to-device copy makes). Asynchronous copies
// into pinned memory and waits on events recorded earlier are not host syncs of the step and
// are not counted. The CUDA API layer (core/cuda/cuda_api.cpp, core/cuda/context.cpp) calls
// the count_* functions; the counters themselves are device-independent (a CPU-only build keeps
// them at 0), process-wide and thread-safe.
#pragma once

#include <cstdint>

namespace cromss {

struct SyncCounts {
  int64_t device_to_host = 0;    // blocking device-to-host copies
  int64_t synchronizations = 0;  // stream and device synchronisations
  int64_t total() const { return device_to_host + synchronizations; }
  SyncCounts operator-(const SyncCounts& earlier) const {
    return {device_to_host - earlier.device_to_host, synchronizations - earlier.synchronizations};
  }
  bool operator==(const SyncCounts&) const = default;
};

SyncCounts sync_counts();  // since the start of the process
void count_device_to_host();
void count_synchronization();

// The counts since construction: SyncCountScope s; ...; s.elapsed().
class SyncCountScope {
 public:
  SyncCountScope() : start_(sync_counts()) {}
  SyncCounts elapsed() const { return sync_counts() - start_; }

 private:
  SyncCounts start_;
};

}  // namespace cromss
