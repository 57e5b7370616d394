// The nhwc ("channels_last") memory format of 4-D tensors: strides, conversions both ways, the
// format surviving dtype and device transfers, the differentiable to_memory_format op, and ops
// that serve only nchw refusing an nhwc tensor with a clear error instead of misreading it.
#include <gtest/gtest.h>

#include "core/memory_format.h"
#include "engine/autograd.h"
#include "engine/ops/op_checks.h"
#include "engine/ops/shape_ops.h"

namespace cromss {
namespace {

// Values i at logical index i of an (N, C, H, W) tensor, row-major (nchw).
Tensor iota(const Shape& shape) {
  std::vector<float> v(shape_numel(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return Tensor::from_vector(v, shape);
}

TEST(MemoryFormat, NhwcStridesAndOffsets) {
  Tensor t = Tensor::empty({2, 3, 4, 5}, DType::f32, Device::cpu(), MemoryFormat::nhwc);
  EXPECT_EQ(t.strides(), (Shape{60, 1, 15, 3}));
  EXPECT_EQ(t.memory_format(), MemoryFormat::nhwc);
  EXPECT_TRUE(t.is_contiguous(MemoryFormat::nhwc));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.str(), "f32[2, 3, 4, 5] cpu nhwc");
  EXPECT_EQ(dense_offset(MemoryFormat::nhwc, 1, 2, 3, 4, 3, 4, 5), 60 + 2 + 45 + 12);
  EXPECT_EQ(dense_offset(MemoryFormat::nchw, 1, 2, 3, 4, 3, 4, 5), 60 + 40 + 15 + 4);
  const ChannelView v = channel_view(MemoryFormat::nhwc, 2, 3, 20);
  EXPECT_EQ(v.offset(7, 2, 0), dense_offset(MemoryFormat::nhwc, 0, 2, 1, 2, 3, 4, 5));
  EXPECT_THROW(Tensor::empty({2, 3}, DType::f32, Device::cpu(), MemoryFormat::nhwc), ValueError);
  EXPECT_EQ(parse_memory_format("channels_last"), MemoryFormat::nhwc);
  EXPECT_THROW(parse_memory_format("nwhc"), ValueError);
}

TEST(MemoryFormat, ConversionsKeepValuesAndFormat) {
  Tensor x = iota({2, 3, 4, 5});
  Tensor y = x.contiguous(MemoryFormat::nhwc);
  ASSERT_EQ(y.memory_format(), MemoryFormat::nhwc);
  const float* p = y.data<float>();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t h = 0; h < 4; ++h)
        for (int64_t w = 0; w < 5; ++w)
          ASSERT_EQ(p[dense_offset(MemoryFormat::nhwc, n, c, h, w, 3, 4, 5)],
                    dense_offset(MemoryFormat::nchw, n, c, h, w, 3, 4, 5));
  EXPECT_EQ(y.to_vector<float>(), x.to_vector<float>());  // logical order
  EXPECT_EQ(y.contiguous(MemoryFormat::nhwc).raw_data(), y.raw_data());
  Tensor back = y.contiguous();
  EXPECT_EQ(back.memory_format(), MemoryFormat::nchw);
  EXPECT_EQ(back.to_vector<float>(), x.to_vector<float>());
  Tensor half = y.to(DType::bf16);
  EXPECT_EQ(half.memory_format(), MemoryFormat::nhwc);
  EXPECT_EQ(half.to_vector<float>(), x.to_vector<float>());
  Tensor copy = y.clone();
  EXPECT_EQ(copy.memory_format(), MemoryFormat::nhwc);
  EXPECT_NE(copy.raw_data(), y.raw_data());
  EXPECT_EQ(copy.to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(Tensor::empty_like(y).strides(), y.strides());
}

TEST(MemoryFormat, SizeOneDimsRestrideWithoutCopy) {
  Tensor x = iota({2, 3, 1, 1});  // dense in both formats
  Tensor y = x.contiguous(MemoryFormat::nhwc);
  EXPECT_EQ(y.raw_data(), x.raw_data());
  EXPECT_EQ(y.memory_format(), MemoryFormat::nhwc);
  EXPECT_TRUE(y.is_contiguous());
}

TEST(MemoryFormat, ToMemoryFormatIsDifferentiable) {
  Tensor x = iota({1, 2, 2, 3}).set_requires_grad(true);
  Tensor y = to_memory_format(x, MemoryFormat::nhwc);
  EXPECT_EQ(y.memory_format(), MemoryFormat::nhwc);
  EXPECT_EQ(to_memory_format(y, MemoryFormat::nhwc).raw_data(), y.raw_data());
  Tensor seed = iota({1, 2, 2, 3}).contiguous(MemoryFormat::nhwc);
  y.backward(seed);
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().memory_format(), MemoryFormat::nchw);
  EXPECT_EQ(x.grad().to_vector<float>(), seed.to_vector<float>());
}

TEST(MemoryFormat, NchwOnlyChecksRefuseNhwc) {
  Tensor y = iota({1, 2, 2, 3}).contiguous(MemoryFormat::nhwc);
  try {
    check_float_inputs("some_op", {&y});
    FAIL() << "an nhwc tensor passed an nchw-only check";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("some_op: expected a dense nchw tensor"),
              std::string::npos)
        << e.what();
  }
  Tensor bias = iota({2});
  EXPECT_EQ(check_float_activations("some_op", {&y, &bias}), MemoryFormat::nhwc);
  Tensor x = iota({1, 2, 2, 3});
  EXPECT_THROW(check_float_activations("some_op", {&y, &x}), ValueError);
}

}  // namespace
}  // namespace cromss
