// The network-path ops other than convolution and normalisation in the nhwc ("channels_last")
// memory format: each op's forward and backward on an nhwc input equal those on the same values
// in nchw (logical values, tests/tolerance.h), and the output and input gradient really are
// nhwc. Mixed operands (one nhwc, one nchw) are converted to the first's format explicitly, and
// each gradient returns in its own input's format. The op tables are tests/nhwc_op_cases.h.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "engine/autograd.h"
#include "tests/nhwc_op_cases.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

constexpr MemoryFormat kNchw = MemoryFormat::nchw;
constexpr MemoryFormat kNhwc = MemoryFormat::nhwc;

// A leaf with the values of `values` (nchw) stored in format f.
Tensor leaf_in(const Tensor& values, MemoryFormat f) {
  return values.contiguous(f).clone().set_requires_grad(true);
}

class NhwcUnaryOp : public ::testing::TestWithParam<test::NhwcUnaryCase> {};

TEST_P(NhwcUnaryOp, EqualsNchwForwardAndBackward) {
  const test::NhwcUnaryCase& cs = GetParam();
  const uint64_t seed = 31;
  std::printf("seed %llu case %s\n", static_cast<unsigned long long>(seed), cs.name.c_str());
  const Tensor values = Tensor::uniform(cs.shape, -2, 2, seed);
  Tensor x_nchw = leaf_in(values, kNchw), x_nhwc = leaf_in(values, kNhwc);
  ASSERT_EQ(x_nhwc.memory_format(), kNhwc);
  Tensor y_nchw = cs.op(x_nchw), y_nhwc = cs.op(x_nhwc);
  EXPECT_EQ(y_nhwc.memory_format(), kNhwc) << y_nhwc.str();
  EXPECT_TRUE(test::all_close(y_nhwc, y_nchw)) << "forward";
  const Tensor seed_grad = Tensor::uniform(y_nchw.shape(), -1, 1, seed + 1);
  y_nchw.backward(seed_grad);
  y_nhwc.backward(seed_grad.contiguous(kNhwc));
  ASSERT_TRUE(x_nhwc.grad().defined());
  EXPECT_EQ(x_nhwc.grad().memory_format(), kNhwc) << x_nhwc.grad().str();
  EXPECT_TRUE(test::all_close(x_nhwc.grad(), x_nchw.grad())) << "input gradient";
}

INSTANTIATE_TEST_SUITE_P(Ops, NhwcUnaryOp, ::testing::ValuesIn(test::nhwc_unary_cases()),
                         [](const auto& info) { return info.param.name; });

class NhwcBinaryOp : public ::testing::TestWithParam<test::NhwcBinaryCase> {};

// Both operands nhwc, then a in nhwc and b in nchw (b converted; its gradient returns nchw).
TEST_P(NhwcBinaryOp, EqualsNchwInBothAndMixedFormats) {
  const test::NhwcBinaryCase& cs = GetParam();
  const uint64_t seed = 41;
  std::printf("seed %llu case %s\n", static_cast<unsigned long long>(seed), cs.name.c_str());
  const Shape& shape = test::kNhwcBinaryShape;
  const Tensor va = Tensor::uniform(shape, -2, 2, seed),
               vb = Tensor::uniform(shape, -2, 2, seed + 1);
  Tensor a_ref = leaf_in(va, kNchw), b_ref = leaf_in(vb, kNchw);
  Tensor y_ref = cs.op(a_ref, b_ref);
  const Tensor seed_grad = Tensor::uniform(y_ref.shape(), -1, 1, seed + 2);
  y_ref.backward(seed_grad);
  for (MemoryFormat b_format : {kNhwc, kNchw}) {
    SCOPED_TRACE(std::string("b in ") + memory_format_name(b_format));
    Tensor a = leaf_in(va, kNhwc), b = leaf_in(vb, b_format);
    Tensor y = cs.op(a, b);
    EXPECT_EQ(y.memory_format(), kNhwc) << y.str();
    EXPECT_TRUE(test::all_close(y, y_ref)) << "forward";
    y.backward(seed_grad.contiguous(kNhwc));
    EXPECT_EQ(a.grad().memory_format(), kNhwc) << a.grad().str();
    EXPECT_EQ(b.grad().memory_format(), b_format) << b.grad().str();
    EXPECT_TRUE(test::all_close(a.grad(), a_ref.grad())) << "gradient of a";
    EXPECT_TRUE(test::all_close(b.grad(), b_ref.grad())) << "gradient of b";
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, NhwcBinaryOp, ::testing::ValuesIn(test::nhwc_binary_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(NhwcOps, AddInplaceConvertsTheSourceToTheDestinationsFormat) {
  const Tensor a = Tensor::uniform({2, 3, 4, 5}, -1, 1, 51),
               b = Tensor::uniform(a.shape(), -1, 1, 52);
  Tensor dst = a.contiguous(kNhwc).clone();
  add_inplace(dst, b);
  EXPECT_EQ(dst.memory_format(), kNhwc);
  EXPECT_TRUE(test::all_close(dst, add(a, b)));
}

// copy_range on nhwc tensors: a channel range is a range of the innermost axis.
TEST(NhwcOps, CopyRangeOfChannels) {
  const Tensor src = Tensor::uniform({2, 6, 3, 2}, -1, 1, 61).contiguous(kNhwc);
  Tensor dst = Tensor::empty({2, 4, 3, 2}, DType::f32, Device::cpu(), kNhwc);
  copy_range(src, 1, dst, 0, 1, 4);
  EXPECT_TRUE(test::all_close(dst, slice(src.contiguous(), 1, 1, 4)));
  Tensor nchw_dst = Tensor::empty({2, 4, 3, 2});
  EXPECT_THROW(copy_range(src, 1, nchw_dst, 0, 1, 4), ValueError);
}

}  // namespace
}  // namespace cromss
