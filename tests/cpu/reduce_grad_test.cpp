// sum / mean over axes: forward against naive loops, output shapes, and finite-difference
// gradients (including 31/33 channels, a 255x257 plane and batch 1).
#include <gtest/gtest.h>

#include <cmath>

#include "engine/ops/reduce.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;

std::vector<double> mean_ref(std::vector<double> sums, double count) {
  for (double& v : sums) v /= count;
  return sums;
}

TEST(Reduce, ForwardMatchesNaiveLoops) {
  const uint64_t seed = 11;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  Tensor x = Tensor::uniform({2, 3, 4, 5}, -1, 1, seed, DType::f64);
  std::vector<double> xv = x.to_vector<double>();
  // Sum over axes 0 and 2 -> [3, 5].
  std::vector<double> expect(15, 0.0);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int h = 0; h < 4; ++h)
        for (int w = 0; w < 5; ++w) expect[c * 5 + w] += xv[((n * 3 + c) * 4 + h) * 5 + w];
  Tensor ref = Tensor::from_vector(expect, {3, 5});
  EXPECT_TRUE(test::all_close(sum(x, {0, 2}), ref));
  EXPECT_TRUE(test::all_close(sum(x, {2, -4}), ref));
  EXPECT_EQ(sum(x, {0, 2}, true).shape(), (Shape{1, 3, 1, 5}));
  double total = 0;
  for (double v : xv) total += v;
  EXPECT_EQ(sum(x).shape(), Shape{});
  EXPECT_NEAR(sum(x).item(), total, 1e-12);
  EXPECT_NEAR(mean(x, {}, true).item(), total / 120, 1e-12);
  EXPECT_EQ(mean(x, {}, true).shape(), (Shape{1, 1, 1, 1}));
  Tensor xf = x.to(DType::f32);
  EXPECT_TRUE(test::all_close(mean(xf, {0, 2}),
                              Tensor::from_vector(mean_ref(expect, 8), {3, 5}).to(DType::f32)));
}

TEST(Reduce, EmptyReductions) {
  Tensor x = Tensor::zeros({0, 3});
  EXPECT_TRUE(test::all_close(sum(x, {0}), Tensor::zeros({3})));
  EXPECT_TRUE(std::isnan(mean(x).item()));  // PyTorch: mean of nothing is NaN
  EXPECT_EQ(sum(x, {1}).shape(), Shape{0});
}

TEST(Reduce, RejectsBadAxes) {
  Tensor x = Tensor::zeros({2, 3});
  EXPECT_THROW(sum(x, {2}), ValueError);
  EXPECT_THROW(sum(x, {1, -1}), ValueError);
}

TEST(ReduceGrad, SumAndMean) {
  test::expect_gradients_match([](auto& in) { return sum(in[0]); }, {grad_input({2, 33, 5}, 1)});
  test::expect_gradients_match([](auto& in) { return sum(in[0], {1}, true); },
                               {grad_input({2, 31, 3, 4}, 2)});
  test::expect_gradients_match(
      [](auto& in) {
        return mean(in[0], {0, 2, 3});
      },
      {grad_input({3, 33, 4, 5}, 3)});
  test::expect_gradients_match([](auto& in) { return mean(in[0], {-1}); },
                               {grad_input({1, 31, 7}, 4)});
  test::expect_gradients_match(
      [](auto& in) {
        return mean(in[0], {2, 3}, true);
      },
      {grad_input({1, 3, 255, 257}, 5)});
}

}  // namespace
}  // namespace cromss
