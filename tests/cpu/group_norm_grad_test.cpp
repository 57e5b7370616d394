// group_norm on the CPU: finite-difference gradients for groups 1, 2 and C on awkward shapes,
// and the forward against a naive formula written out here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "engine/ops/group_norm.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;

void check_gn_gradients(const Shape& s, int64_t groups, uint64_t seed,
                        test::GradCheckOptions options = {}) {
  std::printf("seed %llu shape %s groups %lld\n", static_cast<unsigned long long>(seed),
              shape_str(s).c_str(), static_cast<long long>(groups));
  const int64_t c = s[1];
  test::expect_gradients_match(
      [groups](const std::vector<Tensor>& in) { return group_norm(in[0], groups, in[1], in[2]); },
      {grad_input(s, seed), grad_input({c}, seed + 1, 0.5, 1.5), grad_input({c}, seed + 2)},
      options);
}

TEST(GroupNormGrad, GroupCounts) {
  check_gn_gradients({2, 4, 3, 5}, 1, 11);
  check_gn_gradients({2, 4, 3, 5}, 2, 12);
  check_gn_gradients({2, 4, 3, 5}, 4, 13);  // groups == C: instance norm
  check_gn_gradients({1, 33, 2, 3}, 3, 14);
  check_gn_gradients({3, 31, 2, 2}, 31, 15);
}

// The projected loss sums 131k terms, so its rounding noise (~1e-11) divided by the default step
// 2e-6 exceeds the tolerance; the function is smooth, so a larger step keeps truncation tiny.
TEST(GroupNormGrad, LargeMapFewChannels) {
  test::GradCheckOptions options;
  options.step = 1e-4;
  check_gn_gradients({1, 2, 255, 257}, 2, 21, options);
}

TEST(GroupNormGrad, WithoutAffine) {
  test::expect_gradients_match(
      [](const std::vector<Tensor>& in) { return group_norm(in[0], 2, Tensor(), Tensor()); },
      {grad_input({2, 6, 3, 3}, 31)});
}

TEST(GroupNormForward, MatchesNaiveFormula) {
  const uint64_t seed = 41;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const int64_t n = 2, c = 6, g = 3, hw = 5 * 4, cg = c / g;
  Tensor x = Tensor::normal({n, c, 5, 4}, -0.4, 1.7, seed, DType::f64);
  Tensor w = Tensor::uniform({c}, 0.5, 1.5, seed + 1, DType::f64);
  Tensor b = Tensor::uniform({c}, -1, 1, seed + 2, DType::f64);
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> ref(xv.size());
  for (int64_t s = 0; s < n; ++s)
    for (int64_t k = 0; k < g; ++k) {
      double sum = 0, sq = 0;
      for (int64_t ch = k * cg; ch < (k + 1) * cg; ++ch)
        for (int64_t j = 0; j < hw; ++j) sum += xv[(s * c + ch) * hw + j];
      const double mean = sum / (cg * hw);
      for (int64_t ch = k * cg; ch < (k + 1) * cg; ++ch)
        for (int64_t j = 0; j < hw; ++j) sq += std::pow(xv[(s * c + ch) * hw + j] - mean, 2);
      const double var = sq / (cg * hw);
      for (int64_t ch = k * cg; ch < (k + 1) * cg; ++ch)
        for (int64_t j = 0; j < hw; ++j) {
          const int64_t i = (s * c + ch) * hw + j;
          ref[i] = (xv[i] - mean) / std::sqrt(var + 1e-5) * wv[ch] + bv[ch];
        }
    }
  EXPECT_TRUE(test::all_close(group_norm(x, g, w, b), Tensor::from_vector(ref, x.shape())));
  Tensor y32 = group_norm(x.to(DType::f32), g, w.to(DType::f32), b.to(DType::f32));
  EXPECT_TRUE(test::all_close(y32, Tensor::from_vector(ref, x.shape()).to(DType::f32)));
}

TEST(GroupNormForward, RejectsGroupsNotDividingChannels) {
  EXPECT_THROW(group_norm(Tensor::zeros({1, 6, 2, 2}), 4, Tensor(), Tensor()), ValueError);
}

}  // namespace
}  // namespace cromss
