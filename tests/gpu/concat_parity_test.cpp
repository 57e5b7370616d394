// CUDA vs CPU parity of concat, slice and reshape (pure copies: results must be identical) in
// f32, bf16 and f16, forward and backward, with guard bytes.
#include <gtest/gtest.h>

#include "engine/ops/concat.h"
#include "engine/ops/shape_ops.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct ConcatCase {
  std::vector<Shape> shapes;
  int64_t dim;
};

const ConcatCase kCases[] = {
    {{{2, 31, 5, 7}, {2, 33, 5, 7}, {2, 1, 5, 7}}, 1},
    {{{1, 3, 255, 257}, {1, 2, 255, 257}}, 1},
    {{{1, 4, 3}, {2, 4, 3}}, 0},
    {{{3, 255}, {3, 257}}, -1},
};

class ConcatParity : public ::testing::TestWithParam<DType> {};

TEST_P(ConcatParity, ConcatSliceReshape) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 81;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  const test::Tolerance exact{0, 0};
  for (const ConcatCase& c : kCases) {
    SCOPED_TRACE(shape_str(c.shapes[0]));
    std::vector<Tensor> xd, xr;
    for (size_t k = 0; k < c.shapes.size(); ++k) {
      xd.push_back(Tensor::uniform(c.shapes[k], -1, 1, seed + k, dt, Device::cuda())
                       .set_requires_grad(true));
      xr.push_back(xd.back().detach().to(Device::cpu()).to(DType::f32).set_requires_grad(true));
    }
    Tensor yd = concat(xd, c.dim), yr = concat(xr, c.dim);
    EXPECT_TRUE(test::all_close(yd.to(DType::f32).to(Device::cpu()), yr, exact));
    // Slice the middle of the concatenated axis, flatten, and backpropagate through all three.
    const int64_t d = c.dim < 0 ? c.dim + yd.dim() : c.dim;
    const int64_t len = yd.size(d) / 2, start = yd.size(d) / 4;
    Tensor zd = reshape(slice(yd, d, start, len), {-1}),
           zr = reshape(slice(yr, d, start, len), {-1});
    EXPECT_TRUE(test::all_close(zd.to(DType::f32).to(Device::cpu()), zr, exact));
    Tensor g = Tensor::uniform(zr.shape(), -1, 1, seed + 9, dt);
    zd.backward(g.to(Device::cuda()));
    zr.backward(g.to(DType::f32));
    for (size_t k = 0; k < xd.size(); ++k)
      EXPECT_TRUE(
          test::all_close(xd[k].grad().to(DType::f32).to(Device::cpu()), xr[k].grad(), exact));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ConcatParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
