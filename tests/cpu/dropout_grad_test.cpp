// dropout / dropout2d: keep rate, 1/(1-p) scaling, whole channels for 2d, same seed same mask,
// eval identity, and finite-difference gradients (the mask is a fixed function of the seed).
#include <gtest/gtest.h>

#include <cmath>

#include "engine/ops/dropout.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

TEST(Dropout, KeepRateAndScaling) {
  const uint64_t seed = 31;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const double p = 0.3;
  const int64_t n = 1 << 20;
  Tensor x = Tensor::uniform({n}, 0.5, 1.5, seed);
  std::vector<float> xv = x.to_vector<float>();
  std::vector<float> yv = dropout(x, p, true, seed).to_vector<float>();
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (yv[i] == 0.0f) continue;
    ++kept;
    ASSERT_NEAR(yv[i], xv[i] / (1 - p), 1e-6) << "index " << i;
  }
  // Binomial(n, 1-p): allow 6 standard deviations.
  const double expected = n * (1 - p), sd = std::sqrt(n * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(kept), expected, 6 * sd);
}

TEST(Dropout, SameSeedSameMaskAndIdentityCases) {
  Tensor x = Tensor::uniform({4, 33, 8}, 0.5, 1.5, 32);
  EXPECT_TRUE(test::all_close(dropout(x, 0.5, true, 7), dropout(x, 0.5, true, 7)));
  EXPECT_FALSE(test::all_close(dropout(x, 0.5, true, 7), dropout(x, 0.5, true, 8)));
  EXPECT_TRUE(test::all_close(dropout(x, 0.5, false, 7), x));
  EXPECT_TRUE(test::all_close(dropout(x, 0.0, true, 7), x));
  EXPECT_TRUE(test::all_close(dropout(x, 1.0, true, 7), Tensor::zeros(x.shape())));
  EXPECT_THROW(dropout(x, 1.5, true, 7), ValueError);
}

TEST(Dropout2d, DropsWholeChannels) {
  const uint64_t seed = 33;
  const int64_t n = 8, c = 31, hw = 5 * 6;
  Tensor x = Tensor::uniform({n, c, 5, 6}, 0.5, 1.5, seed);
  std::vector<float> xv = x.to_vector<float>();
  std::vector<float> yv = dropout2d(x, 0.4, true, seed).to_vector<float>();
  int64_t kept_channels = 0;
  for (int64_t ch = 0; ch < n * c; ++ch) {
    const bool kept = yv[ch * hw] != 0.0f;
    kept_channels += kept;
    for (int64_t j = 0; j < hw; ++j) {
      const int64_t i = ch * hw + j;
      ASSERT_NEAR(yv[i], kept ? xv[i] / 0.6 : 0.0, 1e-6) << "channel " << ch << " pixel " << j;
    }
  }
  EXPECT_GT(kept_channels, 0);
  EXPECT_LT(kept_channels, n * c);
  EXPECT_TRUE(test::all_close(dropout2d(x, 0.4, true, seed), dropout2d(x, 0.4, true, seed)));
  EXPECT_THROW(dropout2d(Tensor::zeros({3, 4}), 0.4, true, seed), ValueError);
}

TEST(DropoutGrad, Dropout) {
  test::expect_gradients_match(
      [](auto& in) { return dropout(in[0], 0.3, true, 5); },
      {Tensor::uniform({2, 33, 7}, -1, 1, 1, DType::f64).set_requires_grad(true)});
  test::expect_gradients_match(
      [](auto& in) { return dropout2d(in[0], 0.5, true, 6); },
      {Tensor::uniform({1, 31, 4, 5}, -1, 1, 2, DType::f64).set_requires_grad(true)});
  test::expect_gradients_match(
      [](auto& in) { return dropout2d(in[0], 0.5, true, 7); },
      {Tensor::uniform({1, 2, 255, 257}, -1, 1, 3, DType::f64).set_requires_grad(true)});
}

}  // namespace
}  // namespace cromss
