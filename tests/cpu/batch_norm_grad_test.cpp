// batch_norm2d on the CPU: finite-difference gradients (training and eval, awkward shapes) and
// the forward / running-statistics update against a naive formula written out here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "engine/ops/batch_norm.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;

void check_bn_gradients(const Shape& s, bool training, uint64_t seed,
                        test::GradCheckOptions options = {}) {
  std::printf("seed %llu shape %s training %d\n", static_cast<unsigned long long>(seed),
              shape_str(s).c_str(), training);
  const int64_t c = s[1];
  Tensor rm = Tensor::uniform({c}, -0.5, 0.5, seed + 3, DType::f64);
  Tensor rv = Tensor::uniform({c}, 0.5, 1.5, seed + 4, DType::f64);
  test::expect_gradients_match(
      [&](const std::vector<Tensor>& in) {
        return batch_norm2d(in[0], in[1], in[2], rm, rv, training);
      },
      {grad_input(s, seed), grad_input({c}, seed + 1, 0.5, 1.5), grad_input({c}, seed + 2)},
      options);
}

TEST(BatchNormGrad, Training) {
  check_bn_gradients({2, 3, 4, 5}, true, 11);
  check_bn_gradients({3, 33, 3, 2}, true, 12);
  check_bn_gradients({1, 31, 3, 3}, true, 13);  // batch 1 is legal with more than one pixel
  check_bn_gradients({5, 4, 1, 1}, true, 14);   // 1x1 maps: statistics over the batch only
}

TEST(BatchNormGrad, Eval) {
  check_bn_gradients({2, 3, 4, 5}, false, 21);
  check_bn_gradients({1, 33, 1, 1}, false, 22);  // eval works on a single value per channel
}

// The projected loss sums 131k terms, so its rounding noise (~1e-11) divided by the default step
// 2e-6 exceeds the tolerance; the function is smooth, so a larger step keeps truncation tiny.
TEST(BatchNormGrad, LargeMapFewChannels) {
  test::GradCheckOptions options;
  options.step = 1e-4;
  check_bn_gradients({1, 2, 255, 257}, true, 31, options);
}

TEST(BatchNormGrad, WithoutAffine) {
  Tensor rm = Tensor::zeros({4}, DType::f64), rv = Tensor::full({4}, 1.0, DType::f64);
  test::expect_gradients_match(
      [&](const std::vector<Tensor>& in) {
        return batch_norm2d(in[0], Tensor(), Tensor(), rm, rv, true);
      },
      {grad_input({2, 4, 3, 3}, 41)});
}

// Naive per-channel reference: biased variance for normalisation, unbiased for running_var.
TEST(BatchNormForward, TrainingStepMatchesNaiveFormula) {
  const uint64_t seed = 51;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const int64_t n = 3, c = 5, h = 4, w = 7, hw = h * w;
  Tensor x = Tensor::normal({n, c, h, w}, 0.3, 2.0, seed, DType::f64);
  Tensor weight = Tensor::uniform({c}, 0.5, 1.5, seed + 1, DType::f64);
  Tensor bias = Tensor::uniform({c}, -1, 1, seed + 2, DType::f64);
  Tensor rm = Tensor::uniform({c}, -0.5, 0.5, seed + 3, DType::f64);
  Tensor rv = Tensor::uniform({c}, 0.5, 1.5, seed + 4, DType::f64);
  const auto xv = x.to_vector<double>(), wv = weight.to_vector<double>(),
             bv = bias.to_vector<double>(), rm0 = rm.to_vector<double>(),
             rv0 = rv.to_vector<double>();
  Tensor y = batch_norm2d(x, weight, bias, rm, rv, true, 0.1, 1e-5);

  std::vector<double> y_ref(xv.size()), rm_ref(c), rv_ref(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t j = 0; j < hw; ++j) sum += xv[(s * c + ch) * hw + j];
    const double mean = sum / (n * hw);
    for (int64_t s = 0; s < n; ++s)
      for (int64_t j = 0; j < hw; ++j) sq += std::pow(xv[(s * c + ch) * hw + j] - mean, 2);
    const double var = sq / (n * hw), var_unbiased = sq / (n * hw - 1);
    rm_ref[ch] = 0.9 * rm0[ch] + 0.1 * mean;
    rv_ref[ch] = 0.9 * rv0[ch] + 0.1 * var_unbiased;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t j = 0; j < hw; ++j) {
        const int64_t i = (s * c + ch) * hw + j;
        y_ref[i] = (xv[i] - mean) / std::sqrt(var + 1e-5) * wv[ch] + bv[ch];
      }
  }
  EXPECT_TRUE(test::all_close(y, Tensor::from_vector(y_ref, x.shape())));
  EXPECT_TRUE(test::all_close(rm, Tensor::from_vector(rm_ref, {c})));
  EXPECT_TRUE(test::all_close(rv, Tensor::from_vector(rv_ref, {c})));

  // Eval with the updated running stats normalises with them.
  Tensor y_eval = batch_norm2d(x, weight, bias, rm, rv, false);
  std::vector<double> ye_ref(xv.size());
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t j = 0; j < hw; ++j) {
        const int64_t i = (s * c + ch) * hw + j;
        ye_ref[i] = (xv[i] - rm_ref[ch]) / std::sqrt(rv_ref[ch] + 1e-5) * wv[ch] + bv[ch];
      }
  EXPECT_TRUE(test::all_close(y_eval, Tensor::from_vector(ye_ref, x.shape())));
}

TEST(BatchNormForward, F32MatchesF64) {
  const uint64_t seed = 61;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  Tensor x = Tensor::normal({2, 31, 9, 11}, 1.0, 3.0, seed, DType::f64);
  Tensor w = Tensor::uniform({31}, 0.5, 1.5, seed + 1, DType::f64);
  Tensor b = Tensor::uniform({31}, -1, 1, seed + 2, DType::f64);
  Tensor rm = Tensor::zeros({31}, DType::f64), rv = Tensor::full({31}, 1.0, DType::f64);
  Tensor rm32 = rm.to(DType::f32), rv32 = rv.to(DType::f32);
  Tensor y64 = batch_norm2d(x, w, b, rm, rv, true);
  Tensor y32 = batch_norm2d(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), rm32, rv32, true);
  EXPECT_TRUE(test::all_close(y32, y64.to(DType::f32)));
  EXPECT_TRUE(test::all_close(rv32, rv.to(DType::f32)));
}

TEST(BatchNormForward, RejectsBadArguments) {
  Tensor x = Tensor::zeros({1, 3, 1, 1});
  Tensor rm = Tensor::zeros({3}), rv = Tensor::full({3}, 1.0);
  EXPECT_THROW(batch_norm2d(x, Tensor(), Tensor(), rm, rv, true), ValueError);  // one value
  Tensor wrong = Tensor::zeros({4});
  EXPECT_THROW(batch_norm2d(Tensor::zeros({2, 3, 2, 2}), wrong, Tensor(), rm, rv, true),
               ValueError);
  Tensor f64w = Tensor::zeros({3}, DType::f64);
  EXPECT_THROW(batch_norm2d(Tensor::zeros({2, 3, 2, 2}), f64w, Tensor(), rm, rv, true), ValueError);
}

}  // namespace
}  // namespace cromss
