// One step late, no host sync: pinned slots and events (engine/step_readout.h). With
// engine/tensor.cpp's copies, the engine's one place that moves bytes between a device and the
// host.
#include "engine/step_readout.h"

#include <cstring>

#include "core/cuda_api.h"
#include "core/error.h"

namespace cromss {

StepReadout::StepReadout(Device device, int slots, size_t slot_bytes)
    : device_(device), slot_bytes_(slot_bytes), slots_(static_cast<size_t>(slots)) {
  for (Slot& s : slots_) {
    if (device_.is_cuda()) {
      s.host = static_cast<char*>(cuda_api::malloc_pinned(slot_bytes_));
      s.done = cuda_api::event_create(device_.index);
    } else {
      s.host = new char[slot_bytes_];
    }
  }
}

StepReadout::~StepReadout() {
  for (Slot& s : slots_) {
    if (device_.is_cuda()) {
      cuda_api::event_destroy(s.done);
      cuda_api::free_pinned(s.host);
    } else {
      delete[] s.host;
    }
  }
}

void StepReadout::push(const std::vector<Tensor>& parts) {
  CROMSS_CHECK(count_ < static_cast<int>(slots_.size()),
               "StepReadout: {} steps already pending; pop() them first", count_);
  Slot& s = slots_[(first_ + count_) % slots_.size()];
  s.bytes = 0;
  for (const Tensor& t : parts) {
    CROMSS_CHECK(t.device() == device_ && t.is_contiguous(),
                 "StepReadout: parts must be contiguous on {}, got {}", device_.str(), t.str());
    CROMSS_CHECK(s.bytes + t.nbytes() <= slot_bytes_, "StepReadout: {} bytes exceed the slot's {}",
                 s.bytes + t.nbytes(), slot_bytes_);
    if (device_.is_cuda())
      cuda_api::copy_device_to_host_async(s.host + s.bytes, t.raw_data(), t.nbytes(), device_.index,
                                          cuda_api::Stream::compute);
    else
      std::memcpy(s.host + s.bytes, t.raw_data(), t.nbytes());
    s.bytes += t.nbytes();
  }
  if (device_.is_cuda()) cuda_api::event_record(s.done, device_.index, cuda_api::Stream::compute);
  ++count_;
}

std::vector<char> StepReadout::pop() {
  CROMSS_CHECK(count_ > 0, "StepReadout: nothing pending");
  Slot& s = slots_[first_];
  if (device_.is_cuda()) cuda_api::event_synchronize(s.done);
  std::vector<char> out(s.host, s.host + s.bytes);
  first_ = (first_ + 1) % static_cast<int>(slots_.size());
  --count_;
  return out;
}

}  // namespace cromss
