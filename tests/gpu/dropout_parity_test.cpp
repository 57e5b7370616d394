// CUDA vs CPU parity of dropout / dropout2d: the same seed drops the same elements (or
// channels) on both backends; forward and backward in f32, bf16 and f16, with guard bytes.
#include <gtest/gtest.h>

#include "engine/ops/dropout.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct DropoutCase {
  Shape shape;
  double p;
  bool channels;
};

const DropoutCase kCases[] = {
    {{2, 33, 17, 19}, 0.1, false},
    {{1, 31, 255, 257}, 0.5, true},
    {{3, 1001}, 0.9, false},
    {{4, 33, 8, 8}, 0.2, true},
};

class DropoutParity : public ::testing::TestWithParam<DType> {};

TEST_P(DropoutParity, SameMaskForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 71;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  const auto tol = test::tolerance_for(dt);
  for (const DropoutCase& c : kCases) {
    SCOPED_TRACE(shape_str(c.shape));
    auto op = [&c, seed](const Tensor& x) {
      return c.channels ? dropout2d(x, c.p, true, seed) : dropout(x, c.p, true, seed);
    };
    Tensor xd =
        Tensor::uniform(c.shape, 0.5, 1.5, seed, dt, Device::cuda()).set_requires_grad(true);
    Tensor xr = xd.detach().to(Device::cpu()).to(DType::f32).set_requires_grad(true);
    Tensor yd = op(xd), yr = op(xr);
    std::vector<float> yv = yd.to_vector<float>(), rv = yr.to_vector<float>();
    int64_t mask_mismatches = 0;
    for (size_t i = 0; i < yv.size(); ++i) mask_mismatches += (yv[i] == 0.0f) != (rv[i] == 0.0f);
    EXPECT_EQ(mask_mismatches, 0);
    EXPECT_TRUE(test::all_close(yd.to(DType::f32).to(Device::cpu()), yr, tol));
    Tensor g = Tensor::uniform(yr.shape(), -1, 1, seed + 1, dt);
    yd.backward(g.to(Device::cuda()));
    yr.backward(g.to(DType::f32));
    EXPECT_TRUE(test::all_close(xd.grad().to(DType::f32).to(Device::cpu()), xr.grad(), tol));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, DropoutParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
