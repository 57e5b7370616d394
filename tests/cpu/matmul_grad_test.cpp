// matmul: all four transpose combinations against a naive triple loop (f64 and f32), the empty
// inner dimension, shape errors, and finite-difference gradients of both operands.
#include <gtest/gtest.h>

#include "engine/ops/matmul.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

// out[i][j] = sum_p op(a)[i][p] op(b)[p][j] on row-major stored operands.
std::vector<double> naive_matmul(const std::vector<double>& a, const std::vector<double>& b,
                                 int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  std::vector<double> out(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        out[i * n + j] += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
  return out;
}

class MatmulTranspose : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(MatmulTranspose, MatchesNaiveTripleLoop) {
  const auto [ta, tb] = GetParam();
  const int64_t m = 31, n = 17, k = 33;
  const uint64_t seed = 41;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  Tensor a = Tensor::uniform(ta ? Shape{k, m} : Shape{m, k}, -1, 1, seed, DType::f64);
  Tensor b = Tensor::uniform(tb ? Shape{n, k} : Shape{k, n}, -1, 1, seed + 1, DType::f64);
  Tensor ref = Tensor::from_vector(
      naive_matmul(a.to_vector<double>(), b.to_vector<double>(), m, n, k, ta, tb), {m, n});
  EXPECT_TRUE(test::all_close(matmul(a, b, ta, tb), ref));
  // f32 sums of 33 products of values in [-1, 1] against the f64 loop: NMSE policy for GEMM.
  EXPECT_TRUE(test::nmse_close(matmul(a.to(DType::f32), b.to(DType::f32), ta, tb),
                               ref.to(DType::f32), test::nmse_limit_for(DType::f32)));
}

TEST_P(MatmulTranspose, Gradients) {
  const auto [ta, tb] = GetParam();
  const int64_t m = 5, n = 7, k = 33;
  Tensor a = Tensor::uniform(ta ? Shape{k, m} : Shape{m, k}, -1, 1, 1, DType::f64);
  Tensor b = Tensor::uniform(tb ? Shape{n, k} : Shape{k, n}, -1, 1, 2, DType::f64);
  test::expect_gradients_match(
      [ta = ta, tb = tb](auto& in) { return matmul(in[0], in[1], ta, tb); },
      {a.set_requires_grad(true), b.set_requires_grad(true)});
}

INSTANTIATE_TEST_SUITE_P(Transposes, MatmulTranspose,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

TEST(Matmul, EdgeCasesAndErrors) {
  Tensor a = Tensor::zeros({3, 0}), b = Tensor::zeros({0, 4});
  EXPECT_TRUE(test::all_close(matmul(a, b), Tensor::zeros({3, 4})));
  EXPECT_THROW(matmul(Tensor::zeros({3, 4}), Tensor::zeros({5, 2})), ValueError);
  EXPECT_THROW(matmul(Tensor::zeros({3, 4, 1}), Tensor::zeros({4, 2})), ValueError);
  // Batch-1 row vector and the ResNet-50 1x1-conv-like shape (sampled coordinates).
  test::expect_gradients_match(
      [](auto& in) { return matmul(in[0], in[1]); },
      {Tensor::uniform({1, 255}, -1, 1, 3, DType::f64).set_requires_grad(true),
       Tensor::uniform({255, 257}, -1, 1, 4, DType::f64).set_requires_grad(true)});
  test::expect_gradients_match(
      [](auto& in) { return matmul(in[0], in[1], false, true); },
      {Tensor::uniform({256, 64}, -1, 1, 5, DType::f64).set_requires_grad(true),
       Tensor::uniform({128, 64}, -1, 1, 6, DType::f64).set_requires_grad(true)});
}

}  // namespace
}  // namespace cromss
