// The host's view of a training step's small device results - the objective's losses and labels
// mark (train/cromss_objective.h StepLosses), the fp16 scaler's state - one step late and
// without a host sync (issue 10 item 4): push() queues asynchronous copies of the step's
// tensors into a pinned slot behind the step's kernels and records an event; pop() hands back
// the oldest slot after waiting on its event, which in the steady state (popped a step later,
// with the next step already queued) has long completed, so the device never idles. On the CPU
// the copies are plain memcpys. The loop pops every slot but the newest after each step, and all
// of them at the end of an epoch, before a checkpoint and when stopping, so no value is lost.
#pragma once

#include <cstddef>
#include <vector>

#include "core/device.h"
#include "engine/tensor.h"

namespace cromss {

class StepReadout {
 public:
  // `slots` steps in flight at most, `slot_bytes` each.
  explicit StepReadout(Device device, int slots = 4, size_t slot_bytes = 256);
  ~StepReadout();
  StepReadout(const StepReadout&) = delete;
  StepReadout& operator=(const StepReadout&) = delete;

  // Queues the bytes of `parts` (tensors on the readout's device), back to back in one slot.
  void push(const std::vector<Tensor>& parts);
  int pending() const { return count_; }
  // The oldest queued slot's bytes; throws when nothing is pending.
  std::vector<char> pop();

 private:
  struct Slot {
    char* host = nullptr;  // pinned on CUDA
    void* done = nullptr;  // event recorded behind the copies (CUDA)
    size_t bytes = 0;
  };
  Device device_;
  size_t slot_bytes_;
  std::vector<Slot> slots_;
  int first_ = 0, count_ = 0;
};

}  // namespace cromss
