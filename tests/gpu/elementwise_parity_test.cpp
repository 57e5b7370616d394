// CUDA vs CPU parity of the elementwise ops in f32, bf16 and f16, with guard bytes.
#include <gtest/gtest.h>

#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

class ElementwiseParity : public ::testing::TestWithParam<DType> {};

TEST_P(ElementwiseParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 42;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  Tensor a = Tensor::uniform({3, 33, 257}, -2, 2, seed);
  Tensor b = Tensor::uniform({3, 33, 257}, -2, 2, seed + 1);
  // The CPU reference runs on the device inputs rounded to dt, in f32.
  Tensor ad = a.to(dt).to(Device::cuda()), bd = b.to(dt).to(Device::cuda());
  Tensor ar = ad.to(Device::cpu()).to(DType::f32), br = bd.to(Device::cpu()).to(DType::f32);
  auto tol = test::tolerance_for(dt);
  EXPECT_TRUE(test::all_close(add(ad, bd).to(DType::f32).to(Device::cpu()), add(ar, br), tol));
  EXPECT_TRUE(test::all_close(mul(ad, bd).to(DType::f32).to(Device::cpu()), mul(ar, br), tol));
  EXPECT_TRUE(
      test::all_close(scale(ad, 0.3).to(DType::f32).to(Device::cpu()), scale(ar, 0.3), tol));
  Tensor xd = ad.clone().set_requires_grad(true), xr = ar.clone().set_requires_grad(true);
  relu(xd).backward(bd);
  relu(xr).backward(br);
  EXPECT_TRUE(test::all_close(xd.grad().to(DType::f32).to(Device::cpu()), xr.grad(), tol));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ElementwiseParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
