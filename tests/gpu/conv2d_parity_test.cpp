// CUDA (cuDNN) vs CPU parity of conv2d forward and all three gradients in f32, bf16 and f16 and
// in both memory formats (nchw, and nhwc with cuDNN's NHWC tensors and KRSC filter), table-driven
// over the parameter combinations the models use, with guard bytes around every buffer. The CPU
// reference runs in f64 on the device inputs rounded to the dtype, in the same format; outputs
// and gradients are compared by logical value with NMSE (summation orders differ) and
// nmse_limit_for(dtype), and must come back in the input's format (the weight gradient
// contiguous like the weight).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "engine/ops/conv2d.h"
#include "tests/conv_case.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::ConvCase;

const std::vector<ConvCase> kCases = {
    {"basic3x3", 2, 4, 9, 8, 6, 3, 3, Conv2dParams::square(1, 1), true},
    {"stride2_pad1", 2, 16, 17, 18, 32, 3, 3, Conv2dParams::square(2, 1), true},
    {"asymmetric", 1, 3, 10, 12, 4, 3, 2, {2, 1, 0, 2, 1, 2, 1}, false},
    {"dilation2", 2, 8, 20, 19, 8, 3, 3, Conv2dParams::square(1, 2, 2), false},
    {"groups2", 2, 8, 12, 12, 16, 3, 3, Conv2dParams::square(1, 1, 1, 2), true},
    {"depthwise", 2, 32, 15, 15, 32, 3, 3, Conv2dParams::square(2, 1, 1, 32), true},
    {"depthwise_dilated12", 2, 64, 8, 8, 64, 3, 3, Conv2dParams::square(1, 12, 12, 64), false},
    {"depthwise_dilated2", 2, 32, 9, 9, 32, 3, 3, Conv2dParams::square(1, 2, 2, 32), false},
    {"pointwise", 2, 64, 14, 14, 32, 1, 1, Conv2dParams::square(1, 0), true},
    {"stem7x7_s2_p3", 2, 3, 64, 64, 64, 7, 7, Conv2dParams::square(2, 3), false},
    {"channels31to33", 1, 31, 13, 11, 33, 3, 3, Conv2dParams::square(1, 1), true},
    {"image255x257", 1, 3, 255, 257, 4, 3, 3, Conv2dParams::square(2, 1), true},
    // A segmentation head: 2 channels of 4 x 96 x 96 values, the bias gradient split into chunks.
    {"head1x1_bias_chunks", 4, 16, 96, 96, 2, 1, 1, Conv2dParams::square(1, 0), true},
};

class Conv2dParity : public ::testing::TestWithParam<std::tuple<ConvCase, DType, MemoryFormat>> {};

TEST_P(Conv2dParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const auto& [cs, dt, format] = GetParam();
  const uint64_t seed = 7;
  std::printf("seed %llu dtype %s format %s case %s\n", static_cast<unsigned long long>(seed),
              dtype_name(dt), memory_format_name(format), cs.name.c_str());
  test::GuardBytesScope guard;
  // Device tensors in dt, dense in format f; the reference gets the same (rounded) values in f64.
  // Activations are in `format`, the weight parameter is always contiguous.
  auto pair = [&](const Shape& s, uint64_t sd, MemoryFormat f = MemoryFormat::nchw) {
    Tensor d = Tensor::uniform(s, -1, 1, sd).to(dt).to(Device::cuda()).contiguous(f);
    return std::make_pair(d, d.to(Device::cpu()).to(DType::f64));
  };
  auto [xd, xr] = pair({cs.n, cs.c, cs.h, cs.w}, seed, format);
  auto [wd, wr] = pair({cs.k, cs.c / cs.p.groups, cs.kh, cs.kw}, seed + 1);
  Tensor bd, br;
  if (cs.bias) std::tie(bd, br) = pair({cs.k}, seed + 2);
  for (Tensor* t : {&xd, &xr, &wd, &wr, &bd, &br})
    if (t->defined()) t->set_requires_grad(true);

  Tensor yd = conv2d(xd, wd, bd, cs.p), yr = conv2d(xr, wr, br, cs.p);
  const double limit = test::nmse_limit_for(dt);
  EXPECT_TRUE(test::nmse_close(yd, yr, limit)) << "forward";
  EXPECT_TRUE(yd.is_contiguous(format)) << yd.str();
  auto [gd, gr] = pair(yr.shape(), seed + 3, format);
  yd.backward(gd.detach());
  yr.backward(gr.detach());
  EXPECT_TRUE(test::nmse_close(xd.grad(), xr.grad(), limit)) << "grad input";
  EXPECT_TRUE(test::nmse_close(wd.grad(), wr.grad(), limit)) << "grad weight";
  EXPECT_TRUE(xd.grad().is_contiguous(format)) << xd.grad().str();
  EXPECT_TRUE(wd.grad().is_contiguous()) << wd.grad().str();
  if (cs.bias) EXPECT_TRUE(test::nmse_close(bd.grad(), br.grad(), limit)) << "grad bias";
}

// "<case>_<dtype>_<format>"
struct CaseDtypeFormatName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    return std::get<0>(info.param).name + "_" + dtype_name(std::get<1>(info.param)) + "_" +
           memory_format_name(std::get<2>(info.param));
  }
};

INSTANTIATE_TEST_SUITE_P(Table, Conv2dParity,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(DType::f32, DType::bf16, DType::f16),
                                            ::testing::Values(MemoryFormat::nchw,
                                                              MemoryFormat::nhwc)),
                         CaseDtypeFormatName());

}  // namespace
}  // namespace cromss
