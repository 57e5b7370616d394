// CUDA vs CPU parity of the fused batch_norm_relu (with and without the residual; training with
// the running-stat update, and eval; forward and backward) in f32, bf16 and f16 with guard
// bytes, with the device tensors in NCHW and in NHWC, on shapes that take the 128-bit path (hw,
// or in NHWC C, a multiple of 8) and the scalar one, and that split channels over many blocks. The
// CPU reference runs in f32 and NCHW on the device inputs rounded to the dtype. Per-element results
// use the dtype's element tolerance; per-channel sums use NMSE (their summation order differs
// between backends). Then: the same bits on a second run.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/ops/batch_norm_relu.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

struct FusedCase {
  Shape shape;
  bool training;
  bool residual;
};

Tensor host_f32(const Tensor& t) {
  return t.to(Device::cpu()).to(DType::f32);
}

class BatchNormReluParity : public ::testing::TestWithParam<std::tuple<DType, MemoryFormat>> {};

TEST_P(BatchNormReluParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto [dt, format] = GetParam();
  const FusedCase cases[] = {{{2, 3, 4, 5}, true, true},      {{8, 16, 64, 64}, true, true},
                             {{2, 4, 128, 128}, true, false}, {{1, 2, 255, 257}, true, true},
                             {{5, 4, 1, 1}, true, true},      {{2, 33, 8, 8}, false, true}};
  uint64_t seed = 500;
  for (const FusedCase& k : cases) {
    ++seed;
    std::printf("seed %llu dtype %s %s shape %s training %d residual %d\n",
                static_cast<unsigned long long>(seed), dtype_name(dt), memory_format_name(format),
                shape_str(k.shape).c_str(), k.training, k.residual);
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_str(k.shape));
    test::GuardBytesScope guard;
    const int64_t c = k.shape[1];
    const auto device_input = [&](const Tensor& t) {
      return t.to(dt).contiguous(format).to(Device::cuda());
    };
    Tensor xd = device_input(Tensor::normal(k.shape, 0.5, 2.0, seed));
    Tensor rd = device_input(Tensor::normal(k.shape, 0.0, 1.0, seed + 1));
    Tensor gd = device_input(Tensor::uniform(k.shape, -1, 1, seed + 2));
    Tensor w = Tensor::uniform({c}, 0.5, 1.5, seed + 3), b = Tensor::uniform({c}, -1, 1, seed + 4);
    Tensor rm = Tensor::uniform({c}, -0.5, 0.5, seed + 5),
           rv = Tensor::uniform({c}, 0.5, 1.5, seed + 6);
    Tensor xr = host_f32(xd).contiguous().set_requires_grad(true),
           rr = host_f32(rd).contiguous().set_requires_grad(true);
    Tensor gr = host_f32(gd).contiguous();
    Tensor wr = w.clone().set_requires_grad(true), br = b.clone().set_requires_grad(true);
    Tensor wd = w.to(Device::cuda()).set_requires_grad(true);
    Tensor bd = b.to(Device::cuda()).set_requires_grad(true);
    xd.set_requires_grad(true);
    rd.set_requires_grad(true);
    Tensor rmr = rm.clone(), rvr = rv.clone();
    Tensor rmd = rm.to(Device::cuda()), rvd = rv.to(Device::cuda());

    Tensor yd = batch_norm_relu(xd, wd, bd, rmd, rvd, k.training, k.residual ? rd : Tensor());
    Tensor yr = batch_norm_relu(xr, wr, br, rmr, rvr, k.training, k.residual ? rr : Tensor());
    EXPECT_EQ(yd.dtype(), dt);
    EXPECT_TRUE(yd.is_contiguous(format)) << yd.str();
    EXPECT_TRUE(test::all_close(host_f32(yd), yr, test::tolerance_for(dt)));
    EXPECT_TRUE(test::nmse_close(host_f32(rmd), rmr, test::nmse_limit_for(DType::f32)));
    EXPECT_TRUE(test::nmse_close(host_f32(rvd), rvr, test::nmse_limit_for(DType::f32)));

    yd.backward(gd);
    yr.backward(gr);
    EXPECT_TRUE(xd.grad().is_contiguous(format)) << xd.grad().str();
    EXPECT_TRUE(test::all_close(host_f32(xd.grad()), xr.grad(), test::tolerance_for(dt)));
    if (k.residual)
      EXPECT_TRUE(test::all_close(host_f32(rd.grad()), rr.grad(), test::tolerance_for(dt)));
    EXPECT_TRUE(test::nmse_close(host_f32(wd.grad()), wr.grad(), test::nmse_limit_for(DType::f32)));
    EXPECT_TRUE(test::nmse_close(host_f32(bd.grad()), br.grad(), test::nmse_limit_for(DType::f32)));
  }
}

INSTANTIATE_TEST_SUITE_P(DtypesFormats, BatchNormReluParity, test::dtypes_and_formats(),
                         test::DtypeFormatName());

// The split reductions combine their partials in a fixed order: two runs on the same input give
// the same bits (statistics, running stats and parameter gradients), in either format.
class BatchNormReluDeterminism : public ::testing::TestWithParam<MemoryFormat> {};

TEST_P(BatchNormReluDeterminism, SameBitsTwice) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 601;
  std::printf("seed %llu %s\n", static_cast<unsigned long long>(seed),
              memory_format_name(GetParam()));
  const Shape s{8, 16, 64, 64};
  const Tensor x =
      Tensor::normal(s, 0.5, 2.0, seed).to(DType::bf16).contiguous(GetParam()).to(Device::cuda());
  const Tensor g =
      Tensor::uniform(s, -1, 1, seed + 1).to(DType::bf16).contiguous(GetParam()).to(Device::cuda());
  std::vector<std::vector<float>> runs;
  for (int run = 0; run < 2; ++run) {
    Tensor xi = x.clone().set_requires_grad(true);
    Tensor w = Tensor::full({16}, 1.0).to(Device::cuda()).set_requires_grad(true);
    Tensor b = Tensor::zeros({16}).to(Device::cuda()).set_requires_grad(true);
    Tensor rm = Tensor::zeros({16}).to(Device::cuda()),
           rv = Tensor::full({16}, 1.0).to(Device::cuda());
    Tensor y = batch_norm_relu(xi, w, b, rm, rv, true);
    y.backward(g);
    std::vector<float> bits = rm.to(Device::cpu()).to_vector<float>();
    for (const Tensor& t : {rv, w.grad(), b.grad()}) {
      const std::vector<float> v = t.to(Device::cpu()).to_vector<float>();
      bits.insert(bits.end(), v.begin(), v.end());
    }
    runs.push_back(bits);
  }
  EXPECT_EQ(runs[0], runs[1]);
}

INSTANTIATE_TEST_SUITE_P(Formats, BatchNormReluDeterminism,
                         ::testing::Values(MemoryFormat::nchw, MemoryFormat::nhwc),
                         [](const auto& info) {
                           return std::string(memory_format_name(info.param));
                         });

}  // namespace
}  // namespace cromss
