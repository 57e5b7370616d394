// CUDA (cuBLASLt) vs CPU (oneDNN f32, loop reference f64) parity of matmul forward and backward in
// f32, bf16 and f16 over a table of shapes and transpose flags (NMSE policy: summation orders
// differ), with guard bytes.
#include <gtest/gtest.h>

#include "engine/ops/matmul.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct MatmulCase {
  int64_t m, n, k;
  bool ta, tb;
};

const MatmulCase kCases[] = {
    {31, 17, 33, false, false},   {31, 17, 33, true, false},     {31, 17, 33, false, true},
    {31, 17, 33, true, true},     {256, 255, 257, false, false}, {1, 1000, 64, false, true},
    {1024, 256, 64, true, false},
};

class MatmulParity : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 91;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  const double limit = test::nmse_limit_for(dt);
  for (const MatmulCase& c : kCases) {
    SCOPED_TRACE(::testing::Message()
                 << c.m << "x" << c.n << "x" << c.k << " ta=" << c.ta << " tb=" << c.tb);
    const Shape sa = c.ta ? Shape{c.k, c.m} : Shape{c.m, c.k};
    const Shape sb = c.tb ? Shape{c.n, c.k} : Shape{c.k, c.n};
    Tensor ad = Tensor::uniform(sa, -1, 1, seed, dt, Device::cuda()).set_requires_grad(true);
    Tensor bd = Tensor::uniform(sb, -1, 1, seed + 1, dt, Device::cuda()).set_requires_grad(true);
    Tensor ar = ad.detach().to(Device::cpu()).to(DType::f32).set_requires_grad(true);
    Tensor br = bd.detach().to(Device::cpu()).to(DType::f32).set_requires_grad(true);
    Tensor yd = matmul(ad, bd, c.ta, c.tb), yr = matmul(ar, br, c.ta, c.tb);
    EXPECT_TRUE(test::nmse_close(yd.to(DType::f32).to(Device::cpu()), yr, limit));
    Tensor g = Tensor::uniform(yr.shape(), -1, 1, seed + 2, dt);
    yd.backward(g.to(Device::cuda()));
    yr.backward(g.to(DType::f32));
    EXPECT_TRUE(test::nmse_close(ad.grad().to(DType::f32).to(Device::cpu()), ar.grad(), limit));
    EXPECT_TRUE(test::nmse_close(bd.grad().to(DType::f32).to(Device::cpu()), br.grad(), limit));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, MatmulParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
