// softmax / log_softmax: forward against the naive formula exp(x_c) / sum_k exp(x_k) (rows sum
// to 1, stable for large inputs) and finite-difference gradients along several axes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/ops/softmax.h"
#include "kernels/softmax.cuh"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

Tensor input(const Shape& s, uint64_t seed) {
  return test::grad_input(s, seed, -3, 3);
}

// Naive softmax over axis 1 of [N, C, P] (no max subtraction: inputs are small).
std::vector<double> naive_softmax(const std::vector<double>& x, int n, int c, int p) {
  std::vector<double> y(x.size());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < p; ++j) {
      double s = 0;
      for (int k = 0; k < c; ++k) s += std::exp(x[(i * c + k) * p + j]);
      for (int k = 0; k < c; ++k) y[(i * c + k) * p + j] = std::exp(x[(i * c + k) * p + j]) / s;
    }
  return y;
}

TEST(Softmax, MatchesNaiveFormulaAndSumsToOne) {
  const uint64_t seed = 21;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const int n = 2, c = 33, h = 5, w = 7;
  Tensor x = Tensor::uniform({n, c, h, w}, -4, 4, seed, DType::f64);
  Tensor ref = Tensor::from_vector(naive_softmax(x.to_vector<double>(), n, c, h * w), {n, c, h, w});
  Tensor y = softmax(x, 1);
  EXPECT_TRUE(test::all_close(y, ref));
  std::vector<double> yv = y.to_vector<double>();
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < h * w; ++j) {
      double s = 0;
      for (int k = 0; k < c; ++k) s += yv[(i * c + k) * h * w + j];
      EXPECT_NEAR(s, 1.0, 1e-12);
    }
  std::vector<double> logref = ref.to_vector<double>();
  for (double& v : logref) v = std::log(v);
  EXPECT_TRUE(test::all_close(log_softmax(x, 1), Tensor::from_vector(logref, {n, c, h, w})));
  // f32 path against the f64 reference.
  EXPECT_TRUE(test::all_close(softmax(x.to(DType::f32), 1), ref.to(DType::f32)));
}

TEST(Softmax, StableForLargeInputsAndOtherAxes) {
  Tensor x = Tensor::uniform({3, 31}, -2, 2, 22, DType::f64);
  std::vector<double> shifted = x.to_vector<double>();
  for (double& v : shifted) v += 1000.0;  // exp(1000) overflows; the max trick must cancel it
  Tensor xs = Tensor::from_vector(shifted, {3, 31});
  EXPECT_TRUE(test::all_close(softmax(xs, -1), softmax(x, 1)));
  // f32 against f64 on the same f32-rounded inputs (x + 1000 itself is not representable).
  Tensor xs32 = xs.to(DType::f32);
  EXPECT_TRUE(
      test::all_close(log_softmax(xs32, 1), log_softmax(xs32.to(DType::f64), 1).to(DType::f32)));
  // Axis 0 of [C, P] equals axis 1 of [1, C, P].
  Tensor x3 = Tensor::uniform({31, 6}, -2, 2, 23, DType::f64);
  EXPECT_TRUE(test::all_close(softmax(x3, 0).view({1, 31, 6}), softmax(x3.view({1, 31, 6}), 1)));
  EXPECT_THROW(softmax(x3, 2), ValueError);
}

// The statistics merge used by the CUDA warp-per-row kernels: merging the two halves of a line
// (one of them empty or all -inf) gives the statistics of the whole line.
TEST(Softmax, StatsMergeMatchesSequentialPass) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> line = Tensor::uniform({37}, -5, 5, 24, DType::f64).to_vector<double>();
  line[3] = -inf;
  for (size_t split : {size_t{0}, size_t{1}, size_t{17}, line.size()}) {
    SoftmaxStats<double> whole{-inf, 0}, left{-inf, 0}, right{-inf, 0};
    for (size_t i = 0; i < line.size(); ++i) {
      softmax_accumulate(whole, line[i]);
      softmax_accumulate(i < split ? left : right, line[i]);
    }
    const SoftmaxStats<double> merged = softmax_merge(left, right);
    EXPECT_DOUBLE_EQ(merged.max, whole.max) << "split " << split;
    EXPECT_NEAR(merged.sum, whole.sum, 1e-12 * whole.sum) << "split " << split;
  }
}

TEST(SoftmaxGrad, Softmax) {
  test::expect_gradients_match([](auto& in) { return softmax(in[0], 1); },
                               {input({2, 33, 3, 4}, 1)});
  test::expect_gradients_match([](auto& in) { return softmax(in[0], -1); }, {input({3, 31}, 2)});
  test::expect_gradients_match([](auto& in) { return softmax(in[0], 0); }, {input({5, 7}, 3)});
  test::expect_gradients_match([](auto& in) { return softmax(in[0], 1); },
                               {input({1, 3, 255, 257}, 4)});
}

TEST(SoftmaxGrad, LogSoftmax) {
  test::expect_gradients_match([](auto& in) { return log_softmax(in[0], 1); },
                               {input({1, 31, 5, 3}, 5)});
  test::expect_gradients_match([](auto& in) { return log_softmax(in[0], 2); },
                               {input({2, 3, 33}, 6)});
}

}  // namespace
}  // namespace cromss
