// Device names and the peak table of core/device_info.h.
#include "core/device_info.h"

#include <fstream>

#include "core/cuda_api.h"

namespace cromss {

std::string device_model_name(Device device) {
  if (device.is_cuda()) return cuda_api::device_name(device.index);
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
  }
  return "unknown CPU";
}

namespace {

struct Peak {
  const char* fragment;
  double bf16, fp16, fp32;
};

constexpr Peak kPeaks[] = {
    {"H200", 989.4, 989.4, 66.9},      {"H100 NVL", 835.0, 835.0, 60.0},
    {"H100 PCIe", 756.0, 756.0, 51.2}, {"H100", 989.4, 989.4, 66.9},
    {"A100", 312.0, 312.0, 19.5},
};

}  // namespace

double dense_peak_tflops(const std::string& device_name, const std::string& precision) {
  for (const Peak& p : kPeaks) {
    if (device_name.find(p.fragment) == std::string::npos) continue;
    if (precision == "bf16") return p.bf16;
    if (precision == "fp16") return p.fp16;
    if (precision == "fp32") return p.fp32;
    return 0;
  }
  return 0;
}

}  // namespace cromss
