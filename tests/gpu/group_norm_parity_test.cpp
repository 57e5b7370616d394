// CUDA vs CPU parity of group_norm (forward and backward) in f32, bf16 and f16 with guard bytes,
// with the device tensors in NCHW and in NHWC (strided groups; output and gradient stay NHWC).
// The CPU reference runs in f32 and NCHW on the device inputs rounded to the dtype; per-element
// results use the dtype's element tolerance, the weight / bias gradients (reductions over N * H *
// W) NMSE.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/ops/group_norm.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct GnCase {
  Shape shape;
  int64_t groups;
};

Tensor host_f32(const Tensor& t) {
  return t.to(Device::cpu()).to(DType::f32);
}

class GroupNormParity : public ::testing::TestWithParam<std::tuple<DType, MemoryFormat>> {};

TEST_P(GroupNormParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto [dt, format] = GetParam();
  const GnCase cases[] = {{{2, 4, 3, 5}, 1},   {{2, 4, 3, 5}, 2},     {{3, 33, 7, 9}, 33},
                          {{1, 31, 9, 9}, 31}, {{1, 2, 255, 257}, 2}, {{8, 256, 32, 32}, 32},
                          {{2, 6, 1, 1}, 3}};
  uint64_t seed = 200;
  for (const GnCase& k : cases) {
    ++seed;
    std::printf("seed %llu dtype %s %s shape %s groups %lld\n",
                static_cast<unsigned long long>(seed), dtype_name(dt), memory_format_name(format),
                shape_str(k.shape).c_str(), static_cast<long long>(k.groups));
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_str(k.shape));
    test::GuardBytesScope guard;
    const int64_t c = k.shape[1];
    Tensor xd =
        Tensor::normal(k.shape, -0.3, 1.5, seed).to(dt).contiguous(format).to(Device::cuda());
    Tensor gd =
        Tensor::uniform(k.shape, -1, 1, seed + 1).to(dt).contiguous(format).to(Device::cuda());
    Tensor w = Tensor::uniform({c}, 0.5, 1.5, seed + 2), b = Tensor::uniform({c}, -1, 1, seed + 3);
    Tensor xr = host_f32(xd).contiguous().set_requires_grad(true), gr = host_f32(gd).contiguous();
    Tensor wr = w.clone().set_requires_grad(true), br = b.clone().set_requires_grad(true);
    Tensor wd = w.to(Device::cuda()).set_requires_grad(true);
    Tensor bd = b.to(Device::cuda()).set_requires_grad(true);
    xd.set_requires_grad(true);

    Tensor yd = group_norm(xd, k.groups, wd, bd), yr = group_norm(xr, k.groups, wr, br);
    EXPECT_EQ(yd.dtype(), dt);
    EXPECT_TRUE(yd.is_contiguous(format)) << yd.str();
    EXPECT_TRUE(test::all_close(host_f32(yd), yr, test::tolerance_for(dt)));
    yd.backward(gd);
    yr.backward(gr);
    EXPECT_TRUE(xd.grad().is_contiguous(format)) << xd.grad().str();
    EXPECT_TRUE(test::all_close(host_f32(xd.grad()), xr.grad(), test::tolerance_for(dt)));
    EXPECT_TRUE(test::nmse_close(host_f32(wd.grad()), wr.grad(), test::nmse_limit_for(DType::f32)));
    EXPECT_TRUE(test::nmse_close(host_f32(bd.grad()), br.grad(), test::nmse_limit_for(DType::f32)));
  }
}

INSTANTIATE_TEST_SUITE_P(DtypesFormats, GroupNormParity, test::dtypes_and_formats(),
                         test::DtypeFormatName());

}  // namespace
}  // namespace cromss
