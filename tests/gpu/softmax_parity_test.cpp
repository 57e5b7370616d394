// CUDA vs CPU parity of softmax / log_softmax forward and backward in f32, bf16 and f16 over a
// table of shapes and axes, with guard bytes.
#include <gtest/gtest.h>

#include "engine/ops/softmax.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct SoftmaxCase {
  Shape shape;
  int64_t dim;
  bool log;
};

const SoftmaxCase kCases[] = {
    {{2, 33, 17, 19}, 1, false}, {{1, 31, 255, 257}, 1, true}, {{7, 1000}, -1, false},
    {{5, 3, 4}, 0, true},        {{1, 1, 3, 3}, 1, false},
};

class SoftmaxParity : public ::testing::TestWithParam<DType> {};

TEST_P(SoftmaxParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 61;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  const auto tol = test::tolerance_for(dt);
  for (const SoftmaxCase& c : kCases) {
    SCOPED_TRACE(shape_str(c.shape));
    auto op = [&c](const Tensor& x) { return c.log ? log_softmax(x, c.dim) : softmax(x, c.dim); };
    Tensor xd = Tensor::uniform(c.shape, -4, 4, seed, dt, Device::cuda()).set_requires_grad(true);
    Tensor xr = xd.detach().to(Device::cpu()).to(DType::f32).set_requires_grad(true);
    Tensor yd = op(xd), yr = op(xr);
    EXPECT_TRUE(test::all_close(yd.to(DType::f32).to(Device::cpu()), yr, tol));
    Tensor g = Tensor::uniform(yr.shape(), -1, 1, seed + 1, dt);
    yd.backward(g.to(Device::cuda()));
    yr.backward(g.to(DType::f32));
    // The backward reads the saved output, which the device holds rounded to dt.
    EXPECT_TRUE(test::nmse_close(xd.grad().to(DType::f32).to(Device::cpu()), xr.grad(),
                                 test::nmse_limit_for(dt)));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, SoftmaxParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
