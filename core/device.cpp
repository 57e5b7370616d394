// Device parsing and naming.
#include "core/device.h"

#include <string>

#include "core/cuda_api.h"
#include "core/error.h"

namespace cromss {

Device Device::parse(std::string_view text) {
  if (text == "cpu") return cpu();
  if (text == "cuda" || text == "gpu") return cuda(0);
  if (text.substr(0, 5) == "cuda:") {
    std::string idx(text.substr(5));
    char* end = nullptr;
    long i = std::strtol(idx.c_str(), &end, 10);
    if (!idx.empty() && *end == '\0' && i >= 0) return cuda(static_cast<int>(i));
  }
  CROMSS_THROW(ValueError, "unknown device '{}' (expected cpu, cuda or cuda:N)", text);
}

std::string Device::str() const {
  return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
}

int cuda_device_count() {
  static const int count = cuda_api::device_count();
  return count;
}

bool supports_16bit_training(Device device) {
  return device.is_cuda();
}

bool supports_bf16(Device device) {
  return device.is_cuda() && cuda_api::compute_capability_major(device.index) >= 8;
}

Device device_for_local_rank(Device device, int local_rank) {
  if (device.is_cpu()) return device;
  return Device::cuda(local_rank % (cuda_device_count() > 0 ? cuda_device_count() : 1));
}

}  // namespace cromss
