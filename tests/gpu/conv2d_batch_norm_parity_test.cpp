// CUDA vs CPU parity of conv2d_batch_norm (engine/ops/conv2d_batch_norm.h) with --conv_bn_fusion
// on and off: training (output, running statistics, every gradient) and inference (eval without
// gradients), in bf16 and f16, NHWC — where cuDNN's fused graphs run (kernels/cuda/
// cudnn_fused_conv.h) — and NCHW (the unfused steps), on ResNet-shaped units: a 3x3 conv + BN +
// ReLU, a 1x1 conv + BN + add + ReLU, a strided 1x1 downsample (no ReLU), the 7x7 stem (3 input
// channels, which the fused graph may decline: then the steps run and the result is the same).
// The CPU reference runs in f32 NCHW on the device inputs rounded to the dtype; the comparison is
// NMSE (convolution sums in different orders) at the dtype's limit.
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <tuple>

#include "core/conv_bn_fusion.h"
#include "engine/autograd.h"
#include "engine/ops/conv2d_batch_norm.h"
#include "tests/conv_batch_norm_unit.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::ConvBatchNormUnit;

const ConvBatchNormUnit kCases[] = {
    {"conv3x3_relu", {8, 64, 32, 32}, 64, 3, Conv2dParams::square(1, 1), true, false},
    {"conv1x1_add_relu", {4, 64, 32, 32}, 256, 1, Conv2dParams::square(1, 0), true, true},
    {"downsample1x1_s2", {4, 256, 32, 32}, 512, 1, Conv2dParams::square(2, 0), false, false},
    {"stem7x7_s2", {2, 3, 64, 64}, 64, 7, Conv2dParams::square(2, 3), true, false},
};

Tensor host_f32(const Tensor& t) {
  return t.to(Device::cpu()).to(DType::f32).contiguous();
}

class FusionScope {
 public:
  explicit FusionScope(bool on) : before_(conv_bn_fusion()) { set_conv_bn_fusion(on); }
  ~FusionScope() { set_conv_bn_fusion(before_); }

 private:
  bool before_;
};

using Param = std::tuple<DType, MemoryFormat, bool /*fusion*/, bool /*training*/>;
class ConvBatchNormParity : public ::testing::TestWithParam<Param> {};

TEST_P(ConvBatchNormParity, MatchesTheCpuReference) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto [dt, format, fusion, training] = GetParam();
  const FusionScope scope(fusion);
  const double limit = test::nmse_limit_for(dt);
  uint64_t seed = 1700;
  for (const ConvBatchNormUnit& k : kCases) {
    ++seed;
    std::printf("seed %llu %s %s %s fusion %d training %d\n", static_cast<unsigned long long>(seed),
                k.name, dtype_name(dt), memory_format_name(format), fusion, training);
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << k.name);
    test::GuardBytesScope guard;
    const auto device = [&](const Tensor& t) {
      return t.to(dt).contiguous(format).to(Device::cuda());
    };
    const int64_t cin = k.x_shape[1];
    Tensor xd = device(Tensor::normal(k.x_shape, 0.2, 1.0, seed));
    Tensor wd =
        device(Tensor::normal({k.out, cin, k.kernel, k.kernel}, 0, 0.1, seed + 1)).contiguous();
    const Tensor bw = Tensor::uniform({k.out}, 0.5, 1.5, seed + 2);
    const Tensor bb = Tensor::uniform({k.out}, -1, 1, seed + 3);
    const Tensor rm = Tensor::uniform({k.out}, -0.5, 0.5, seed + 4);
    const Tensor rv = Tensor::uniform({k.out}, 0.5, 1.5, seed + 5);
    Tensor xr = host_f32(xd), wr = host_f32(wd);
    const Tensor probe = conv2d(xr, wr, Tensor(), k.params);
    Tensor resd = device(Tensor::normal(probe.shape(), 0, 1, seed + 6));
    Tensor gd = device(Tensor::uniform(probe.shape(), -1, 1, seed + 7));
    Tensor resr = host_f32(resd), gr = host_f32(gd);
    Tensor bwd = bw.to(Device::cuda()), bbd = bb.to(Device::cuda()), bwr = bw.clone(),
           bbr = bb.clone();
    Tensor rmd = rm.to(Device::cuda()), rvd = rv.to(Device::cuda()), rmr = rm.clone(),
           rvr = rv.clone();
    if (training)
      for (Tensor* t : {&xd, &wd, &bwd, &bbd, &resd, &xr, &wr, &bwr, &bbr, &resr})
        t->set_requires_grad(true);
    Tensor yd, yr;
    {
      std::optional<NoGrad> no_grad;
      if (!training) no_grad.emplace();
      yd = conv2d_batch_norm(xd, wd, k.params, bwd, bbd, rmd, rvd, training, k.relu,
                             k.residual ? resd : Tensor());
      yr = conv2d_batch_norm(xr, wr, k.params, bwr, bbr, rmr, rvr, training, k.relu,
                             k.residual ? resr : Tensor());
    }
    EXPECT_TRUE(yd.is_contiguous(format)) << yd.str();
    EXPECT_TRUE(test::nmse_close(host_f32(yd), yr, limit));
    EXPECT_TRUE(test::nmse_close(host_f32(rmd), rmr, limit));
    EXPECT_TRUE(test::nmse_close(host_f32(rvd), rvr, limit));
    if (!training) continue;
    yd.backward(gd);
    yr.backward(gr);
    EXPECT_TRUE(test::nmse_close(host_f32(xd.grad()), xr.grad(), limit));
    EXPECT_TRUE(test::nmse_close(host_f32(wd.grad()), wr.grad(), limit));
    EXPECT_TRUE(test::nmse_close(host_f32(bwd.grad()), bwr.grad(), limit));
    EXPECT_TRUE(test::nmse_close(host_f32(bbd.grad()), bbr.grad(), limit));
    if (k.residual) EXPECT_TRUE(test::nmse_close(host_f32(resd.grad()), resr.grad(), limit));
  }
}

INSTANTIATE_TEST_SUITE_P(DtypesFormatsFusion, ConvBatchNormParity,
                         ::testing::Combine(::testing::Values(DType::bf16, DType::f16),
                                            ::testing::Values(MemoryFormat::nhwc,
                                                              MemoryFormat::nchw),
                                            ::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(dtype_name(std::get<0>(info.param))) + "_" +
                                  memory_format_name(std::get<1>(info.param)) +
                                  (std::get<2>(info.param) ? "_fused" : "_steps") +
                                  (std::get<3>(info.param) ? "_training" : "_inference");
                         });

}  // namespace
}  // namespace cromss
