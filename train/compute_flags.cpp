// See train/compute_flags.h.
#include "train/compute_flags.h"

#include "core/error.h"

namespace cromss {

Precision resolve_precision(const ComputeFlags& flags, bool on_cuda, bool has_bf16) {
  const std::string& p = flags.precision;
  if (p == "auto") {
    if (!flags.amp || !on_cuda) return Precision::fp32;
    return has_bf16 ? Precision::bf16 : Precision::fp16;
  }
  if (p == "fp32") return Precision::fp32;
  CROMSS_CHECK(p == "bf16" || p == "fp16",
               "--precision: expected one of {{auto, bf16, fp16, fp32}}, got '{}'", p);
  CROMSS_CHECK(flags.amp,
               "--precision {}: contradicts --amp (which turns mixed precision off); drop one of "
               "them",
               p);
  CROMSS_CHECK(on_cuda,
               "--precision {}: mixed precision needs a CUDA device; the CPU path runs "
               "fp32 (use --precision fp32 or auto)",
               p);
  if (p == "fp16") return Precision::fp16;
  CROMSS_CHECK(has_bf16,
               "--precision bf16: this GPU has no bf16 support (compute capability < 8.0); use "
               "--precision fp16 or auto");
  return Precision::bf16;
}

Precision resolve_precision(const ComputeFlags& flags, Device device) {
  return resolve_precision(flags, supports_16bit_training(device), supports_bf16(device));
}

MemoryFormat network_memory_format(const ComputeFlags& flags) {
  return flags.channels_last ? MemoryFormat::nhwc : MemoryFormat::nchw;
}

std::string resolve_device(const ComputeFlags& flags, int cuda_device_count, bool* fell_back) {
  if (fell_back) *fell_back = false;
  if (!flags.device.empty()) {
    const int index = flags.device.rfind("cuda:", 0) == 0 ? std::stoi(flags.device.substr(5)) : 0;
    CROMSS_CHECK(flags.device == "cpu" || index < cuda_device_count,
                 "--device {}: no such CUDA GPU ({} found: no GPU or no NVIDIA driver on this "
                 "machine, or the build has no CUDA backend); use --device cpu",
                 flags.device, cuda_device_count);
    return flags.device;
  }
  if (flags.accelerator == "gpu") {
    if (cuda_device_count > 0) return "cuda";
    if (fell_back) *fell_back = true;
  }
  return "cpu";
}

}  // namespace cromss
