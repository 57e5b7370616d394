// CUDA vs CPU parity of max_pool2d and adaptive_avg_pool2d (forward and backward) in f32, bf16
// and f16, with guard bytes. The CPU reference runs in f32 on the device inputs rounded to the
// dtype. Ties (frequent after bf16 rounding) resolve identically, first maximum first, on both.
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "engine/ops/pooling.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct PoolCase {
  std::string name;
  Shape shape;
  bool max;  // max pool (kernel, stride, pad) or adaptive average (out_h, out_w)
  int64_t a, b, c;
};

// gtest prints a case by its name.
void PrintTo(const PoolCase& c, std::ostream* os) {
  *os << c.name;
}

const std::vector<PoolCase> kCases = {
    {"max_k3_s2_p1", {2, 16, 33, 31}, true, 3, 2, 1},
    {"max_k2_s2", {2, 3, 8, 9}, true, 2, 2, 0},
    {"max_k3_s1_p1", {1, 33, 17, 15}, true, 3, 1, 1},
    {"max_image255x257", {1, 2, 255, 257}, true, 3, 2, 1},
    {"avg_global", {2, 64, 7, 7}, false, 1, 1, 0},
    {"avg_ragged_7_to_3", {2, 31, 7, 7}, false, 3, 3, 0},
    {"avg_upsampling", {1, 3, 4, 3}, false, 5, 4, 0},
    {"avg_image255x257", {1, 2, 255, 257}, false, 6, 5, 0},
    {"avg_psp_8_to_2", {2, 64, 8, 8}, false, 2, 2, 0},  // PSPNet's pyramid on a stride-8 map
    {"avg_psp_8_to_3", {2, 64, 8, 8}, false, 3, 3, 0},
    {"avg_psp_8_to_6", {2, 64, 8, 8}, false, 6, 6, 0},
};

Tensor pool(const PoolCase& cs, const Tensor& x) {
  return cs.max ? max_pool2d(x, cs.a, cs.b, cs.c) : adaptive_avg_pool2d(x, cs.a, cs.b);
}

class PoolingParity : public ::testing::TestWithParam<std::tuple<PoolCase, DType>> {};

TEST_P(PoolingParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto& [cs, dt] = GetParam();
  const uint64_t seed = 11;
  std::printf("seed %llu dtype %s case %s\n", static_cast<unsigned long long>(seed), dtype_name(dt),
              cs.name.c_str());
  test::GuardBytesScope guard;
  Tensor xd = Tensor::uniform(cs.shape, -2, 2, seed).to(dt).to(Device::cuda());
  Tensor xr = xd.to(Device::cpu()).to(DType::f32);
  xd.set_requires_grad(true);
  xr.set_requires_grad(true);
  Tensor yd = pool(cs, xd), yr = pool(cs, xr);
  const auto tol = test::tolerance_for(dt);
  EXPECT_TRUE(test::all_close(yd.to(DType::f32), yr, tol)) << "forward";
  Tensor gd = Tensor::uniform(yr.shape(), -1, 1, seed + 1).to(dt).to(Device::cuda());
  yd.backward(gd);
  yr.backward(gd.to(Device::cpu()).to(DType::f32));
  EXPECT_TRUE(test::all_close(xd.grad().to(DType::f32), xr.grad(), tol)) << "grad input";
}

INSTANTIATE_TEST_SUITE_P(Table, PoolingParity,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(DType::f32, DType::bf16, DType::f16)),
                         test::CaseDtypeName());

}  // namespace
}  // namespace cromss
