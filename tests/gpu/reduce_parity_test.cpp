// CUDA vs CPU parity of sum / mean (forward: NMSE, since summation orders differ; backward:
// element-wise) in f32, bf16 and f16 over a table of shapes and axis sets, with guard bytes.
#include <gtest/gtest.h>

#include "engine/ops/reduce.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct ReduceCase {
  Shape shape;
  std::vector<int64_t> dims;
  bool keepdim;
  bool average;
};

const ReduceCase kCases[] = {
    {{2, 33, 17, 19}, {}, false, true},            // everything: split across blocks
    {{1, 31, 255, 257}, {0, 2, 3}, false, false},  // per channel: block per output
    {{4, 33, 16, 16}, {1}, true, false},           // over channels: thread per output
    {{3, 5, 7, 9}, {0, 2}, false, true},           // alternating axes
    {{1, 1, 1}, {1}, false, false},
};

class ReduceParity : public ::testing::TestWithParam<DType> {};

TEST_P(ReduceParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 51;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  for (const ReduceCase& c : kCases) {
    SCOPED_TRACE(shape_str(c.shape));
    auto op = [&c](const Tensor& x) {
      return c.average ? mean(x, c.dims, c.keepdim) : sum(x, c.dims, c.keepdim);
    };
    // The CPU reference runs on the device inputs rounded to dt, in f32.
    Tensor xd = Tensor::uniform(c.shape, -1, 1, seed, dt, Device::cuda()).set_requires_grad(true);
    Tensor xr = xd.detach().to(Device::cpu()).to(DType::f32).set_requires_grad(true);
    Tensor yd = op(xd), yr = op(xr);
    EXPECT_TRUE(
        test::nmse_close(yd.to(DType::f32).to(Device::cpu()), yr, test::nmse_limit_for(dt)));
    Tensor g = Tensor::uniform(yr.shape(), -1, 1, seed + 1, dt);
    yd.backward(g.to(Device::cuda()));
    yr.backward(g.to(DType::f32));
    EXPECT_TRUE(test::all_close(xd.grad().to(DType::f32).to(Device::cpu()), xr.grad(),
                                test::tolerance_for(dt)));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ReduceParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
