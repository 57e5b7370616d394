// CUDA vs CPU parity of upsample_nearest2x and resize_bilinear (both align_corners; up, down,
// pooled sizes and non-integer ratios) in f32, bf16 and f16 with guard bytes. The CPU reference
// runs in f32 on the device inputs rounded to the dtype. Forward values and the nearest backward
// use the element tolerance; the bilinear backward sums many scattered contributions in an
// order that differs between backends (atomics on the device), so it uses NMSE.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/ops/resize.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct ResizeCase {
  Shape in;
  int64_t out_h, out_w;
};

Tensor host_f32(const Tensor& t) {
  return t.to(Device::cpu()).to(DType::f32);
}

class ResizeParity : public ::testing::TestWithParam<DType> {};

TEST_P(ResizeParity, Bilinear) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const ResizeCase cases[] = {{{2, 3, 16, 16}, 64, 64}, {{2, 3, 8, 8}, 64, 64},
                              {{1, 5, 1, 1}, 32, 32},   {{2, 3, 6, 6}, 32, 32},
                              {{1, 3, 64, 64}, 16, 16}, {{1, 2, 255, 257}, 100, 333},
                              {{3, 33, 7, 5}, 10, 3},   {{1, 31, 3, 9}, 1, 1}};
  uint64_t seed = 300;
  for (bool align : {false, true})
    for (const ResizeCase& k : cases) {
      ++seed;
      std::printf("seed %llu dtype %s %s -> %lldx%lld align %d\n",
                  static_cast<unsigned long long>(seed), dtype_name(dt), shape_str(k.in).c_str(),
                  static_cast<long long>(k.out_h), static_cast<long long>(k.out_w), align);
      SCOPED_TRACE(::testing::Message() << "seed " << seed);
      test::GuardBytesScope guard;
      Tensor xd = Tensor::uniform(k.in, -2, 2, seed).to(dt).to(Device::cuda());
      Tensor xr = host_f32(xd).set_requires_grad(true);
      xd.set_requires_grad(true);
      const Shape out{k.in[0], k.in[1], k.out_h, k.out_w};
      Tensor gd = Tensor::uniform(out, -1, 1, seed + 1).to(dt).to(Device::cuda());
      Tensor yd = resize_bilinear(xd, k.out_h, k.out_w, align);
      Tensor yr = resize_bilinear(xr, k.out_h, k.out_w, align);
      EXPECT_TRUE(test::all_close(host_f32(yd), yr, test::tolerance_for(dt)));
      yd.backward(gd);
      yr.backward(host_f32(gd));
      EXPECT_EQ(xd.grad().dtype(), dt);
      EXPECT_TRUE(test::nmse_close(host_f32(xd.grad()), xr.grad(), test::nmse_limit_for(dt)));
    }
}

TEST_P(ResizeParity, NearestX2) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const Shape shapes[] = {{2, 3, 4, 5}, {1, 33, 1, 1}, {1, 2, 255, 257}};
  uint64_t seed = 400;
  for (const Shape& s : shapes) {
    ++seed;
    std::printf("seed %llu dtype %s shape %s\n", static_cast<unsigned long long>(seed),
                dtype_name(dt), shape_str(s).c_str());
    test::GuardBytesScope guard;
    Tensor xd = Tensor::uniform(s, -2, 2, seed).to(dt).to(Device::cuda());
    Tensor xr = host_f32(xd).set_requires_grad(true);
    xd.set_requires_grad(true);
    Tensor gd = Tensor::uniform({s[0], s[1], 2 * s[2], 2 * s[3]}, -1, 1, seed + 1)
                    .to(dt)
                    .to(Device::cuda());
    Tensor yd = upsample_nearest2x(xd), yr = upsample_nearest2x(xr);
    EXPECT_TRUE(test::all_close(host_f32(yd), yr, test::tolerance_for(dt)));
    yd.backward(gd);
    yr.backward(host_f32(gd));
    EXPECT_TRUE(test::all_close(host_f32(xd.grad()), xr.grad(), test::tolerance_for(dt)));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ResizeParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
