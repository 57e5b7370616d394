// CUDA vs CPU parity of batch_norm2d (training with the running-stat update, and eval; forward
// and backward) in f32, bf16 and f16 with guard bytes, with the device tensors in NCHW and in
// NHWC (the channels-last reductions and element passes; output and gradient stay NHWC). The CPU
// reference runs in f32 and NCHW on the device inputs rounded to the dtype. Per-element results use
// the dtype's element tolerance; per-channel sums (running stats, weight / bias gradients) are
// reductions whose summation order differs between backends, so they use NMSE.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/ops/batch_norm.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct BnCase {
  Shape shape;
  bool training;
};

Tensor host_f32(const Tensor& t) {
  return t.to(Device::cpu()).to(DType::f32);
}

class BatchNormParity : public ::testing::TestWithParam<std::tuple<DType, MemoryFormat>> {};

TEST_P(BatchNormParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto [dt, format] = GetParam();
  // NHWC: C = 64 and 16 take the 128-bit loads (16 split into many row tiles), 33 and 3 the
  // scalar ones.
  const BnCase cases[] = {{{2, 3, 4, 5}, true},      {{3, 33, 7, 9}, true},
                          {{1, 31, 255, 257}, true}, {{8, 64, 32, 32}, true},
                          {{8, 16, 64, 64}, true},   {{5, 4, 1, 1}, true},
                          {{2, 33, 7, 9}, false},    {{1, 3, 255, 257}, false}};
  uint64_t seed = 100;
  for (const BnCase& k : cases) {
    ++seed;
    std::printf("seed %llu dtype %s %s shape %s training %d\n",
                static_cast<unsigned long long>(seed), dtype_name(dt), memory_format_name(format),
                shape_str(k.shape).c_str(), k.training);
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_str(k.shape));
    test::GuardBytesScope guard;
    const int64_t c = k.shape[1];
    Tensor xd =
        Tensor::normal(k.shape, 0.5, 2.0, seed).to(dt).contiguous(format).to(Device::cuda());
    Tensor gd =
        Tensor::uniform(k.shape, -1, 1, seed + 1).to(dt).contiguous(format).to(Device::cuda());
    Tensor w = Tensor::uniform({c}, 0.5, 1.5, seed + 2), b = Tensor::uniform({c}, -1, 1, seed + 3);
    Tensor rm = Tensor::uniform({c}, -0.5, 0.5, seed + 4),
           rv = Tensor::uniform({c}, 0.5, 1.5, seed + 5);
    Tensor xr = host_f32(xd).contiguous().set_requires_grad(true), gr = host_f32(gd).contiguous();
    Tensor wr = w.clone().set_requires_grad(true), br = b.clone().set_requires_grad(true);
    Tensor wd = w.to(Device::cuda()).set_requires_grad(true);
    Tensor bd = b.to(Device::cuda()).set_requires_grad(true);
    xd.set_requires_grad(true);
    Tensor rmr = rm.clone(), rvr = rv.clone();
    Tensor rmd = rm.to(Device::cuda()), rvd = rv.to(Device::cuda());

    Tensor yd = batch_norm2d(xd, wd, bd, rmd, rvd, k.training);
    Tensor yr = batch_norm2d(xr, wr, br, rmr, rvr, k.training);
    EXPECT_EQ(yd.dtype(), dt);
    EXPECT_TRUE(yd.is_contiguous(format)) << yd.str();
    EXPECT_TRUE(test::all_close(host_f32(yd), yr, test::tolerance_for(dt)));
    EXPECT_TRUE(test::nmse_close(host_f32(rmd), rmr, test::nmse_limit_for(DType::f32)));
    EXPECT_TRUE(test::nmse_close(host_f32(rvd), rvr, test::nmse_limit_for(DType::f32)));

    yd.backward(gd);
    yr.backward(gr);
    EXPECT_TRUE(xd.grad().is_contiguous(format)) << xd.grad().str();
    EXPECT_TRUE(test::all_close(host_f32(xd.grad()), xr.grad(), test::tolerance_for(dt)));
    EXPECT_EQ(wd.grad().dtype(), DType::f32);
    EXPECT_TRUE(test::nmse_close(host_f32(wd.grad()), wr.grad(), test::nmse_limit_for(DType::f32)));
    EXPECT_TRUE(test::nmse_close(host_f32(bd.grad()), br.grad(), test::nmse_limit_for(DType::f32)));
  }
}

INSTANTIATE_TEST_SUITE_P(DtypesFormats, BatchNormParity, test::dtypes_and_formats(),
                         test::DtypeFormatName());

}  // namespace
}  // namespace cromss
