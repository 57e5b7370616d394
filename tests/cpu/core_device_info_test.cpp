// core/device_info.h: the peak table picks the most specific device-name fragment and the
// precision's column, and knows nothing of unlisted devices; the CPU has a model name.
#include <gtest/gtest.h>

#include "core/device_info.h"

namespace cromss {
namespace {

TEST(DeviceInfo, PeakByNameFragmentAndPrecision) {
  EXPECT_DOUBLE_EQ(dense_peak_tflops("NVIDIA H100 80GB HBM3", "bf16"), 989.4);
  EXPECT_DOUBLE_EQ(dense_peak_tflops("NVIDIA H100 NVL", "bf16"), 835.0);
  EXPECT_DOUBLE_EQ(dense_peak_tflops("NVIDIA H100 PCIe", "fp32"), 51.2);
  EXPECT_DOUBLE_EQ(dense_peak_tflops("NVIDIA H200", "fp16"), 989.4);
  EXPECT_DOUBLE_EQ(dense_peak_tflops("NVIDIA A100-SXM4-80GB", "fp32"), 19.5);
  EXPECT_EQ(dense_peak_tflops("NVIDIA GeForce RTX 4090", "bf16"), 0.0);
  EXPECT_EQ(dense_peak_tflops("NVIDIA H100 80GB HBM3", "fp8"), 0.0);
}

TEST(DeviceInfo, CpuHasAModelName) {
  const std::string name = device_model_name(Device::cpu());
  EXPECT_FALSE(name.empty());
  EXPECT_EQ(name.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace cromss
