// CUDA in nhwc ("channels_last") vs the CPU in nchw for every network-path op other than
// convolution and normalisation (tables in tests/nhwc_op_cases.h), f32, bf16 and f16, with guard
// bytes: the device output and input gradients stay nhwc and equal the CPU's logical values.
// The nchw device path is covered by each op's own parity test. The CPU reference runs in f32 on
// the device inputs rounded to the dtype; the bilinear backward, which scatters with atomics on
// the device, is compared by NMSE (as in resize_parity_test.cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <tuple>

#include "engine/autograd.h"
#include "tests/gpu_test.h"
#include "tests/nhwc_op_cases.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

constexpr MemoryFormat kNhwc = MemoryFormat::nhwc;

Tensor host_f32(const Tensor& t) {
  return t.to(Device::cpu()).to(DType::f32);
}

// A device leaf in nhwc and its CPU f32 nchw reference with the same (dtype-rounded) values.
std::pair<Tensor, Tensor> device_and_reference(const Shape& shape, DType dt, uint64_t seed) {
  Tensor device = Tensor::uniform(shape, -2, 2, seed, dt, Device::cuda()).contiguous(kNhwc);
  Tensor reference = host_f32(device).contiguous();
  device.set_requires_grad(true);
  reference.set_requires_grad(true);
  return {device, reference};
}

class NhwcUnaryParity : public ::testing::TestWithParam<std::tuple<test::NhwcUnaryCase, DType>> {};

TEST_P(NhwcUnaryParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto& [cs, dt] = GetParam();
  const uint64_t seed = 91;
  std::printf("seed %llu dtype %s case %s\n", static_cast<unsigned long long>(seed), dtype_name(dt),
              cs.name.c_str());
  test::GuardBytesScope guard;
  auto [xd, xr] = device_and_reference(cs.shape, dt, seed);
  ASSERT_EQ(xd.memory_format(), kNhwc);
  Tensor yd = cs.op(xd), yr = cs.op(xr);
  EXPECT_EQ(yd.memory_format(), kNhwc) << yd.str();
  const auto tol = test::tolerance_for(dt);
  EXPECT_TRUE(test::all_close(host_f32(yd), yr, tol)) << "forward";
  const Tensor g = Tensor::uniform(yr.shape(), -1, 1, seed + 1, dt);
  yd.backward(g.to(Device::cuda()).contiguous(kNhwc));
  yr.backward(g.to(DType::f32));
  ASSERT_TRUE(xd.grad().defined());
  EXPECT_EQ(xd.grad().memory_format(), kNhwc) << xd.grad().str();
  if (cs.scatter_backward)
    EXPECT_TRUE(test::nmse_close(host_f32(xd.grad()), xr.grad(), test::nmse_limit_for(dt)));
  else
    EXPECT_TRUE(test::all_close(host_f32(xd.grad()), xr.grad(), tol)) << "input gradient";
}

INSTANTIATE_TEST_SUITE_P(Table, NhwcUnaryParity,
                         ::testing::Combine(::testing::ValuesIn(test::nhwc_unary_cases()),
                                            ::testing::Values(DType::f32, DType::bf16, DType::f16)),
                         test::CaseDtypeName());

class NhwcBinaryParity : public ::testing::TestWithParam<std::tuple<test::NhwcBinaryCase, DType>> {
};

TEST_P(NhwcBinaryParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto& [cs, dt] = GetParam();
  const uint64_t seed = 92;
  std::printf("seed %llu dtype %s case %s\n", static_cast<unsigned long long>(seed), dtype_name(dt),
              cs.name.c_str());
  test::GuardBytesScope guard;
  auto [ad, ar] = device_and_reference(test::kNhwcBinaryShape, dt, seed);
  auto [bd, br] = device_and_reference(test::kNhwcBinaryShape, dt, seed + 1);
  Tensor yd = cs.op(ad, bd), yr = cs.op(ar, br);
  EXPECT_EQ(yd.memory_format(), kNhwc) << yd.str();
  const auto tol = test::tolerance_for(dt);
  EXPECT_TRUE(test::all_close(host_f32(yd), yr, tol)) << "forward";
  const Tensor g = Tensor::uniform(yr.shape(), -1, 1, seed + 2, dt);
  yd.backward(g.to(Device::cuda()).contiguous(kNhwc));
  yr.backward(g.to(DType::f32));
  for (const auto& [d, r] : {std::pair{ad, ar}, std::pair{bd, br}}) {
    EXPECT_EQ(d.grad().memory_format(), kNhwc) << d.grad().str();
    EXPECT_TRUE(test::all_close(host_f32(d.grad()), r.grad(), tol)) << "input gradient";
  }
}

INSTANTIATE_TEST_SUITE_P(Table, NhwcBinaryParity,
                         ::testing::Combine(::testing::ValuesIn(test::nhwc_binary_cases()),
                                            ::testing::Values(DType::f32, DType::bf16, DType::f16)),
                         test::CaseDtypeName());

}  // namespace
}  // namespace cromss
