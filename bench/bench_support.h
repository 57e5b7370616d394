// Helpers the benchmark files share: a fresh autograd leaf per iteration and the end-of-iteration
// wait for a device, so that CUDA wall times cover the queued work.
#pragma once

#include "core/context.h"
#include "core/device.h"
#include "engine/tensor.h"

namespace cromss::bench {

// Fresh leaf sharing t's storage, so every iteration starts without accumulated gradients.
inline Tensor leaf(const Tensor& t) {
  return t.detach().set_requires_grad(true);
}

// Waits for the device's queued work (nothing to wait for on the CPU).
inline void sync(Device device) {
  if (device.is_cuda()) Context::get(device).synchronize();
}

}  // namespace cromss::bench
