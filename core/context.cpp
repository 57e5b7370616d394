// Context lookup and stream scopes, common to both builds (see context.h). Creating a CUDA
// context's streams and handles is in core/cuda/context.cpp (core/cpu_only/ for a CPU-only build).
#include "core/context.h"

#include <memory>
#include <mutex>

#include "core/error.h"

namespace cromss {

Context& Context::get(Device device) {
  // Leaked on purpose: handles must not be destroyed after the CUDA runtime has shut down.
  if (device.is_cpu()) {
    static auto* cpu = new Context(Device::cpu());
    return *cpu;
  }
  if (!built_with_cuda()) throw_no_cuda(__FILE__, __LINE__);
  constexpr int kMaxDevices = 64;
  CROMSS_CHECK(
      device.index >= 0 && device.index < cuda_device_count() && device.index < kMaxDevices,
      "device {} is not available ({} CUDA devices)", device.str(), cuda_device_count());
  static std::mutex mutex;
  static auto* contexts = new std::unique_ptr<Context>[kMaxDevices];
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = contexts[device.index];
  if (!slot) slot = std::make_unique<Context>(device);
  return *slot;
}

void* Context::stream_of_kind(cuda_api::Stream kind) const {
  return streams_[static_cast<int>(kind)];
}

StreamScope::StreamScope(Context& ctx, cuda_api::Stream kind)
    : ctx_(ctx), previous_(ctx.current_stream()) {
  ctx_.select_stream(kind);
}

StreamScope::~StreamScope() {
  try {
    ctx_.select_stream(previous_);
  } catch (const std::exception& e) {
    log_destructor_error("StreamScope::~StreamScope", e.what());
  }
}

}  // namespace cromss
