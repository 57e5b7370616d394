// Resize ops on the CPU: finite-difference gradients (nearest x2; bilinear with both
// align_corners values, up and down, integer and non-integer ratios) and the forward against
// known cases: align_corners=true maps corners exactly, constants stay constant, linear ramps
// stay linear (bilinear interpolation reproduces affine functions of the source coordinate),
// and a naive per-pixel formula written out here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/ops/resize.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;

TEST(ResizeGrad, NearestX2) {
  test::expect_gradients_match([](auto& in) { return upsample_nearest2x(in[0]); },
                               {grad_input({2, 3, 4, 5}, 1)});
  test::expect_gradients_match([](auto& in) { return upsample_nearest2x(in[0]); },
                               {grad_input({1, 33, 1, 3}, 2)});
}

struct BilinearCase {
  int64_t in_h, in_w, out_h, out_w;
};

TEST(ResizeGrad, Bilinear) {
  const BilinearCase cases[] = {{4, 5, 8, 10},  {3, 3, 12, 24}, {8, 9, 4, 3}, {1, 1, 4, 5},
                                {6, 6, 32, 32}, {7, 5, 10, 3},  {5, 7, 1, 1}, {16, 16, 64, 64}};
  uint64_t seed = 10;
  for (bool align : {false, true})
    for (const auto& k : cases) {
      ++seed;
      SCOPED_TRACE(::testing::Message()
                   << "seed " << seed << " " << k.in_h << "x" << k.in_w << " -> " << k.out_h << "x"
                   << k.out_w << " align " << align);
      test::expect_gradients_match(
          [&](auto& in) { return resize_bilinear(in[0], k.out_h, k.out_w, align); },
          {grad_input({2, 3, k.in_h, k.in_w}, seed)});
    }
}

TEST(ResizeGrad, LargeMapFewChannels) {
  test::expect_gradients_match([](auto& in) { return resize_bilinear(in[0], 64, 100, false); },
                               {grad_input({1, 2, 255, 257}, 31)});
  test::expect_gradients_match([](auto& in) { return upsample_nearest2x(in[0]); },
                               {grad_input({1, 2, 255, 257}, 32)});
}

// Naive bilinear sample of plane `p` at source coordinates (sy, sx), clamped to the border.
double sample(const std::vector<double>& p, int64_t h, int64_t w, double sy, double sx) {
  sy = std::max(sy, 0.0);
  sx = std::max(sx, 0.0);
  const int64_t y0 = std::min<int64_t>(static_cast<int64_t>(sy), h - 1);
  const int64_t x0 = std::min<int64_t>(static_cast<int64_t>(sx), w - 1);
  const int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
  const double fy = sy - y0, fx = sx - x0;
  return (1 - fy) * ((1 - fx) * p[y0 * w + x0] + fx * p[y0 * w + x1]) +
         fy * ((1 - fx) * p[y1 * w + x0] + fx * p[y1 * w + x1]);
}

TEST(ResizeForward, MatchesNaiveFormula) {
  const uint64_t seed = 41;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const int64_t h = 5, w = 7;
  Tensor x = Tensor::uniform({1, 1, h, w}, -1, 1, seed, DType::f64);
  const auto xv = x.to_vector<double>();
  for (bool align : {false, true})
    for (auto [oh, ow] : {std::pair<int64_t, int64_t>{9, 4}, {20, 28}, {1, 3}, {5, 7}}) {
      std::vector<double> ref(oh * ow);
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double sy, sx;
          if (align) {
            sy = oh > 1 ? i * double(h - 1) / double(oh - 1) : 0;
            sx = ow > 1 ? j * double(w - 1) / double(ow - 1) : 0;
          } else {
            sy = (i + 0.5) * double(h) / double(oh) - 0.5;
            sx = (j + 0.5) * double(w) / double(ow) - 0.5;
          }
          ref[i * ow + j] = sample(xv, h, w, sy, sx);
        }
      EXPECT_TRUE(test::all_close(resize_bilinear(x, oh, ow, align),
                                  Tensor::from_vector(ref, {1, 1, oh, ow})))
          << oh << "x" << ow << " align " << align;
    }
}

TEST(ResizeForward, AlignCornersMapsCornersExactly) {
  Tensor x = Tensor::uniform({2, 3, 6, 5}, -1, 1, 51);
  Tensor y = resize_bilinear(x, 32, 17, true);
  const auto xv = x.to_vector<float>(), yv = y.to_vector<float>();
  for (int64_t p = 0; p < 6; ++p) {
    const float* a = xv.data() + p * 30;
    const float* b = yv.data() + p * 32 * 17;
    EXPECT_EQ(b[0], a[0]);
    EXPECT_EQ(b[16], a[4]);
    EXPECT_EQ(b[31 * 17], a[25]);
    EXPECT_EQ(b[31 * 17 + 16], a[29]);
  }
}

TEST(ResizeForward, ConstantStaysConstant) {
  Tensor x = Tensor::full({1, 2, 6, 1}, 0.37, DType::f64);
  for (bool align : {false, true})
    for (auto [oh, ow] : {std::pair<int64_t, int64_t>{32, 32}, {3, 5}, {1, 1}, {13, 64}})
      EXPECT_TRUE(test::all_close(resize_bilinear(x, oh, ow, align),
                                  Tensor::full({1, 2, oh, ow}, 0.37, DType::f64)));
}

TEST(ResizeForward, LinearRampStaysLinear) {
  // f(y, x) = 2y - 3x + 1 on the source grid; interior output pixels sample it exactly at their
  // source coordinate (align_corners=false clamps only below 0, which the ramp check avoids by
  // upsampling, where all coordinates stay within [0, in - 1] away from the borders).
  const int64_t h = 6, w = 8;
  std::vector<double> xv(h * w);
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) xv[i * w + j] = 2.0 * i - 3.0 * j + 1;
  Tensor x = Tensor::from_vector(xv, {1, 1, h, w});
  const int64_t oh = 11, ow = 29;
  Tensor y = resize_bilinear(x, oh, ow, true);
  std::vector<double> ref(oh * ow);
  for (int64_t i = 0; i < oh; ++i)
    for (int64_t j = 0; j < ow; ++j)
      ref[i * ow + j] = 2.0 * i * (h - 1) / (oh - 1) - 3.0 * j * (w - 1) / (ow - 1) + 1;
  EXPECT_TRUE(test::all_close(y, Tensor::from_vector(ref, {1, 1, oh, ow})));

  Tensor y2 =
      resize_bilinear(x, 2 * h, 2 * w, false).narrow(2, 1, 2 * h - 2).narrow(3, 1, 2 * w - 2);
  std::vector<double> ref2;
  for (int64_t i = 1; i < 2 * h - 1; ++i)
    for (int64_t j = 1; j < 2 * w - 1; ++j)
      ref2.push_back(2.0 * ((i + 0.5) / 2 - 0.5) - 3.0 * ((j + 0.5) / 2 - 0.5) + 1);
  EXPECT_TRUE(
      test::all_close(y2.contiguous(), Tensor::from_vector(ref2, {1, 1, 2 * h - 2, 2 * w - 2})));
}

// The f32 path computes source coordinates in float (as torch's opmath for f32 does); it must
// agree with the f64 path within the f32 tolerance where coordinates are inexact. (A float
// coordinate carries ~1 ulp of the source size, which times the local slope of a random image
// exceeds atol when downsampling large maps, e.g. 64x48 -> 16x9, in torch's f32 path as well.)
TEST(ResizeForward, F32MatchesF64) {
  const uint64_t seed = 71;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const BilinearCase cases[] = {{1, 1, 32, 32}, {6, 6, 32, 32}, {16, 16, 64, 64},
                                {8, 8, 64, 64}, {7, 5, 10, 13}, {16, 13, 5, 4}};
  for (bool align : {false, true})
    for (const auto& k : cases) {
      Tensor x = Tensor::uniform({2, 3, k.in_h, k.in_w}, -2, 2, seed, DType::f64);
      Tensor y64 = resize_bilinear(x, k.out_h, k.out_w, align);
      Tensor y32 = resize_bilinear(x.to(DType::f32), k.out_h, k.out_w, align);
      EXPECT_TRUE(test::all_close(y32, y64.to(DType::f32)))
          << k.in_h << "x" << k.in_w << " -> " << k.out_h << "x" << k.out_w << " align " << align;
    }
}

TEST(ResizeForward, NearestX2RepeatsPixels) {
  Tensor x = Tensor::uniform({2, 3, 3, 5}, -1, 1, 61, DType::f64);
  const auto xv = x.to_vector<double>(), yv = upsample_nearest2x(x).to_vector<double>();
  for (int64_t p = 0; p < 6; ++p)
    for (int64_t i = 0; i < 6; ++i)
      for (int64_t j = 0; j < 10; ++j)
        EXPECT_EQ(yv[(p * 6 + i) * 10 + j], xv[(p * 3 + i / 2) * 5 + j / 2]);
}

}  // namespace
}  // namespace cromss
