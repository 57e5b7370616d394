// The cuDNN algorithm cache key (kernels/conv2d_algo_key.h): equal only when every property of
// the convolution is equal, so an algorithm found for one configuration is never reused for
// another (a different dtype, memory format, stride, padding, dilation, groups, direction, device
// or shape, or a deterministic choice for a measured one).
#include <gtest/gtest.h>

#include <functional>
#include <unordered_set>
#include <vector>

#include "kernels/conv2d_algo_key.h"

namespace cromss {
namespace {

Conv2dGeometry base_geometry() {
  Conv2dGeometry g;
  g.n = 2, g.c = 64, g.h = 56, g.w = 56, g.k = 64, g.kh = 3, g.kw = 3, g.oh = 56, g.ow = 56;
  g.pad_h = g.pad_w = 1;
  return g;
}

TEST(Conv2dAlgoKey, EqualConfigurationsShareAKey) {
  const Conv2dGeometry g = base_geometry();
  auto a = make_conv2d_algo_key(g, DType::f32, ConvDirection::forward, 0, false);
  auto b = make_conv2d_algo_key(g, DType::f32, ConvDirection::forward, 0, false);
  EXPECT_EQ(a, b);
  EXPECT_EQ(Conv2dAlgoKeyHash{}(a), Conv2dAlgoKeyHash{}(b));
}

TEST(Conv2dAlgoKey, EveryPropertyChangesTheKey) {
  const Conv2dGeometry g = base_geometry();
  const auto base = make_conv2d_algo_key(g, DType::f32, ConvDirection::forward, 0, false);
  std::vector<std::function<Conv2dAlgoKey()>> variants = {
      [&] { return make_conv2d_algo_key(g, DType::bf16, ConvDirection::forward, 0, false); },
      [&] { return make_conv2d_algo_key(g, DType::f16, ConvDirection::forward, 0, false); },
      [&] { return make_conv2d_algo_key(g, DType::f32, ConvDirection::backward_data, 0, false); },
      [&] { return make_conv2d_algo_key(g, DType::f32, ConvDirection::backward_filter, 0, false); },
      [&] { return make_conv2d_algo_key(g, DType::f32, ConvDirection::forward, 1, false); },
      [&] { return make_conv2d_algo_key(g, DType::f32, ConvDirection::forward, 0, true); },
  };
  std::vector<std::function<void(Conv2dGeometry&)>> edits = {
      [](Conv2dGeometry& e) { e.n = 3; },
      [](Conv2dGeometry& e) { e.c = 32; },
      [](Conv2dGeometry& e) { e.h = 57; },
      [](Conv2dGeometry& e) { e.w = 55; },
      [](Conv2dGeometry& e) { e.k = 128; },
      [](Conv2dGeometry& e) { e.kh = 1; },
      [](Conv2dGeometry& e) { e.kw = 1; },
      [](Conv2dGeometry& e) { e.stride_h = 2; },
      [](Conv2dGeometry& e) { e.stride_w = 2; },
      [](Conv2dGeometry& e) { e.pad_h = 0; },
      [](Conv2dGeometry& e) { e.pad_w = 0; },
      [](Conv2dGeometry& e) { e.dilation_h = 2; },
      [](Conv2dGeometry& e) { e.dilation_w = 2; },
      [](Conv2dGeometry& e) { e.groups = 2; },
      [](Conv2dGeometry& e) { e.format = MemoryFormat::nhwc; },
  };
  for (auto& edit : edits)
    variants.push_back([&g, edit] {
      Conv2dGeometry e = g;
      edit(e);
      return make_conv2d_algo_key(e, DType::f32, ConvDirection::forward, 0, false);
    });
  std::unordered_set<Conv2dAlgoKey, Conv2dAlgoKeyHash> seen{base};
  for (size_t i = 0; i < variants.size(); ++i) {
    Conv2dAlgoKey key = variants[i]();
    EXPECT_NE(key, base) << "variant " << i;
    EXPECT_TRUE(seen.insert(key).second) << "variant " << i << " collides with an earlier key";
  }
}

TEST(Conv2dAlgoKey, InputStridesArePartOfTheKey) {
  auto a = make_conv2d_algo_key(base_geometry(), DType::f32, ConvDirection::forward, 0, false);
  Conv2dAlgoKey b = a;
  b.x_strides = {a.x_strides[0], 1, a.x_strides[2] * a.c, a.c};  // channels-last layout
  EXPECT_NE(a, b);
}

TEST(Conv2dAlgoKey, NhwcKeyCarriesTheFormatAndChannelsLastStrides) {
  Conv2dGeometry g = base_geometry();
  g.format = MemoryFormat::nhwc;
  const auto key = make_conv2d_algo_key(g, DType::bf16, ConvDirection::forward, 0, false);
  EXPECT_EQ(key.format, static_cast<int64_t>(MemoryFormat::nhwc));
  EXPECT_EQ(key.x_strides, (std::array<int64_t, 4>{g.h * g.w * g.c, 1, g.w * g.c, g.c}));
}

}  // namespace
}  // namespace cromss
