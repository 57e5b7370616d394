// engine/dispatch.h: one call reaches the kernel entry of the tensor's device with the device's
// Context, the CPU entry handles f32 and f64 and names the kernel for other dtypes, and a backend
// the build or the machine lacks is a clear error naming the kernel or the device.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/dispatch.h"
#include "engine/tensor.h"
#include "kernels/elementwise.h"

namespace cromss {
namespace {

TEST(EngineDispatch, RunsTheCpuEntryForEachFloatType) {
  Tensor x = Tensor::from_vector<float>({1, -2, 3}, {3});
  Tensor y = Tensor::empty({3}, DType::f32, Device::cpu());
  dispatch(kernels::scale, Device::cpu(), x.raw_data(), 2.0, y.raw_data(), DType::f32, x.numel());
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{2, -4, 6}));
  Tensor xd = x.to(DType::f64), yd = Tensor::empty({3}, DType::f64, Device::cpu());
  dispatch(kernels::scale, Device::cpu(), xd.raw_data(), -1.0, yd.raw_data(), DType::f64,
           xd.numel());
  EXPECT_EQ(yd.to_vector<double>(), (std::vector<double>{-1, 2, -3}));
}

TEST(EngineDispatch, CpuEntryNamesTheKernelForOtherDtypes) {
  Tensor x = Tensor::from_vector<float>({1, 2}, {2}).to(DType::bf16);
  Tensor y = Tensor::empty({2}, DType::bf16, Device::cpu());
  try {
    dispatch(kernels::relu_forward, Device::cpu(), x.raw_data(), y.raw_data(), DType::bf16,
             x.numel());
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("relu_forward: the CPU path supports f32 and f64"),
              std::string::npos)
        << e.what();
  }
}

TEST(EngineDispatch, MissingCudaBackendOrDeviceIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device exists";
  try {
    dispatch(kernels::scale, Device::cuda(0), nullptr, 1.0, nullptr, DType::f32, int64_t{0});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    if (built_with_cuda())
      EXPECT_NE(what.find("cuda:0 is not available"), std::string::npos) << what;
    else
      EXPECT_NE(what.find("scale: this cromss was built without CUDA"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace cromss
