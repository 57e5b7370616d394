// conv2d with nhwc (channels_last) activations on the CPU: forward and all three gradients equal
// the nchw results on the same values (f64 through the im2col + GEMM reference, f32 through
// oneDNN), outputs and input gradients come back nhwc while the weight gradient stays a
// contiguous (K, C/groups, kh, kw) tensor like the weight, and finite differences confirm the
// nhwc gradients; a backward seeded from an nhwc output gets its seed in nhwc. The table holds the
// geometries the models use: stride 2 with padding, dilation, groups, depthwise, 1x1 (the nhwc GEMM
// path), the 7x7/2 stem, awkward channel counts.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/shape_ops.h"
#include "tests/conv_case.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::ConvCase;

const std::vector<ConvCase>& cases() {
  static const std::vector<ConvCase> all = {
      {"stride2_pad1", 2, 3, 11, 10, 5, 3, 3, Conv2dParams::square(2, 1), true},
      {"asymmetric", 1, 3, 10, 12, 4, 3, 2, {2, 1, 0, 2, 1, 2, 1}, false},
      {"dilation2", 1, 3, 12, 11, 4, 3, 3, Conv2dParams::square(1, 2, 2), true},
      {"groups2", 2, 4, 8, 8, 6, 3, 3, Conv2dParams::square(1, 1, 1, 2), true},
      {"depthwise", 2, 5, 9, 9, 5, 3, 3, Conv2dParams::square(2, 1, 1, 5), true},
      {"pointwise", 2, 6, 5, 7, 4, 1, 1, Conv2dParams::square(1, 0), true},
      {"pointwise_stride2", 1, 6, 8, 9, 4, 1, 1, Conv2dParams::square(2, 0), false},
      {"stem7x7_s2_p3", 1, 3, 32, 30, 8, 7, 7, Conv2dParams::square(2, 3), false},
      {"channels31to33", 1, 31, 6, 5, 33, 3, 3, Conv2dParams::square(1, 1), true},
  };
  return all;
}

struct ConvResults {
  Tensor y, dx, dw, db;  // db undefined without bias
};

// conv2d forward and backward with x in `format`; the values depend only on the seed.
ConvResults run_conv(const ConvCase& cs, MemoryFormat format, DType dtype, uint64_t seed) {
  Tensor x = Tensor::uniform({cs.n, cs.c, cs.h, cs.w}, -1, 1, seed, dtype).contiguous(format);
  Tensor w = Tensor::uniform({cs.k, cs.c / cs.p.groups, cs.kh, cs.kw}, -1, 1, seed + 1, dtype);
  Tensor b = cs.bias ? Tensor::uniform({cs.k}, -1, 1, seed + 2, dtype) : Tensor();
  for (Tensor* t : {&x, &w, &b})
    if (t->defined()) t->set_requires_grad(true);
  Tensor y = conv2d(x, w, b, cs.p);
  y.backward(Tensor::uniform(y.shape(), -1, 1, seed + 3, dtype).contiguous(format));
  return {y, x.grad(), w.grad(), cs.bias ? b.grad() : Tensor()};
}

::testing::AssertionResult same_values(const Tensor& nhwc, const Tensor& nchw) {
  if (nchw.dtype() == DType::f64) return test::all_close(nhwc, nchw);
  // oneDNN's nhwc and nchw kernels sum in different orders: compare by NMSE.
  return test::nmse_close(nhwc, nchw, test::nmse_limit_for(nchw.dtype()));
}

class Conv2dNhwc : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dNhwc, ForwardAndGradientsEqualNchw) {
  const ConvCase& cs = GetParam();
  const uint64_t seed = 500;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  for (DType dt : {DType::f64, DType::f32}) {  // the reference, then oneDNN
    SCOPED_TRACE(dtype_name(dt));
    const ConvResults nchw = run_conv(cs, MemoryFormat::nchw, dt, seed);
    const ConvResults nhwc = run_conv(cs, MemoryFormat::nhwc, dt, seed);
    EXPECT_EQ(nhwc.y.memory_format(), MemoryFormat::nhwc) << nhwc.y.str();
    EXPECT_EQ(nhwc.dx.memory_format(), MemoryFormat::nhwc) << nhwc.dx.str();
    EXPECT_EQ(nhwc.dw.strides(), contiguous_strides(nhwc.dw.shape())) << nhwc.dw.str();
    EXPECT_TRUE(same_values(nhwc.y, nchw.y)) << "forward";
    EXPECT_TRUE(same_values(nhwc.dx, nchw.dx)) << "grad input";
    EXPECT_TRUE(same_values(nhwc.dw, nchw.dw)) << "grad weight";
    if (cs.bias) EXPECT_TRUE(same_values(nhwc.db, nchw.db)) << "grad bias";
  }
}

// The op's input is converted to nhwc inside the checked function, so the finite differences
// perturb plain nchw leaves while every gradient flows through the nhwc convolution.
TEST_P(Conv2dNhwc, GradientsMatchFiniteDifferences) {
  const ConvCase& cs = GetParam();
  Tensor x = test::grad_input({cs.n, cs.c, cs.h, cs.w}, 600);
  Tensor w = test::grad_input({cs.k, cs.c / cs.p.groups, cs.kh, cs.kw}, 601);
  Tensor b = cs.bias ? test::grad_input({cs.k}, 602) : Tensor();
  const Conv2dParams p = cs.p;
  test::expect_gradients_match(
      [p](const std::vector<Tensor>& t) {
        return conv2d(to_memory_format(t[0], MemoryFormat::nhwc), t[1], t[2], p);
      },
      {x, w, b});
}

INSTANTIATE_TEST_SUITE_P(Table, Conv2dNhwc, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// backward(grad) from an nhwc output seeds the gradient in nhwc (engine/autograd.cpp), so the
// op's backward gets it without two layout copies, whatever the layout of `grad`.
TEST(Conv2dNhwc, BackwardSeedKeepsTheOutputFormat) {
  Tensor x = Tensor::zeros({1, 4, 3, 5}).contiguous(MemoryFormat::nhwc).set_requires_grad(true);
  Tensor y = x.detach().clone();
  MemoryFormat seen = MemoryFormat::nchw;
  record_op("format_probe", y, {&x},
            [&seen](const Tensor& gy, const std::vector<bool>&) -> std::vector<Tensor> {
              seen = gy.memory_format();
              return {gy};
            });
  y.backward(Tensor::uniform(y.shape(), -1, 1, 700));
  EXPECT_EQ(seen, MemoryFormat::nhwc);
}

// A weight parameter in a stale layout is refused rather than read as the wrong bytes.
TEST(Conv2dNhwc, RefusesAWeightThatIsNotContiguous) {
  Tensor x = Tensor::zeros({1, 4, 6, 6}).contiguous(MemoryFormat::nhwc);
  Tensor w = Tensor::zeros({8, 4, 3, 3}).contiguous(MemoryFormat::nhwc);
  EXPECT_THROW(conv2d(x, w, Tensor(), Conv2dParams::square(1, 1)), Error);
}

}  // namespace
}  // namespace cromss
