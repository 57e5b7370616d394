// Pooling on the CPU: forward against naive loops written here, PyTorch semantics (padding is
// -inf, the first maximum wins, adaptive bins may overlap), finite-difference gradients in f64,
// and results independent of the OpenMP thread count. Max-pool inputs are tie-free (distinct
// values spaced far wider than the FD step), so the argmax does not move under the perturbation.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <ostream>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/pooling.h"
#include "kernels/pooling.cuh"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

// A random permutation of evenly spaced values in [-1, 1]: no two elements are equal.
Tensor tie_free(const Shape& s, uint64_t seed) {
  std::vector<double> u = Tensor::uniform(s, 0, 1, seed, DType::f64).to_vector<double>();
  std::vector<int64_t> order(u.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return u[a] < u[b]; });
  std::vector<double> v(u.size());
  for (size_t r = 0; r < order.size(); ++r)
    v[order[r]] = -1.0 + 2.0 * static_cast<double>(r) / static_cast<double>(order.size());
  return Tensor::from_vector<double>(v, s);
}

struct MaxPoolCase {
  std::string name;
  Shape shape;
  int64_t kernel, stride, pad;
};

// gtest prints a case by its name.
void PrintTo(const MaxPoolCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<double> naive_max_pool(const MaxPoolCase& cs, const std::vector<double>& x) {
  const int64_t n = cs.shape[0] * cs.shape[1], h = cs.shape[2], w = cs.shape[3];
  const int64_t oh = (h + 2 * cs.pad - cs.kernel) / cs.stride + 1;
  const int64_t ow = (w + 2 * cs.pad - cs.kernel) / cs.stride + 1;
  std::vector<double> y;
  for (int64_t p = 0; p < n; ++p)
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t q = 0; q < ow; ++q) {
        double best = -std::numeric_limits<double>::infinity();
        for (int64_t i = 0; i < cs.kernel; ++i)
          for (int64_t j = 0; j < cs.kernel; ++j) {
            const int64_t hh = r * cs.stride - cs.pad + i, ww = q * cs.stride - cs.pad + j;
            if (hh >= 0 && hh < h && ww >= 0 && ww < w)
              best = std::max(best, x[(p * h + hh) * w + ww]);
          }
        y.push_back(best);
      }
  return y;
}

class MaxPoolCases : public ::testing::TestWithParam<MaxPoolCase> {};

TEST_P(MaxPoolCases, ForwardAndGradients) {
  const MaxPoolCase& cs = GetParam();
  const uint64_t seed = 500;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  Tensor x = tie_free(cs.shape, seed);
  Tensor y = max_pool2d(x, cs.kernel, cs.stride, cs.pad);
  EXPECT_TRUE(test::all_close(
      y, Tensor::from_vector<double>(naive_max_pool(cs, x.to_vector<double>()), y.shape())));
  EXPECT_TRUE(test::all_close(max_pool2d(x.to(DType::f32), cs.kernel, cs.stride, cs.pad),
                              y.to(DType::f32)));
  x.set_requires_grad(true);
  const int64_t k = cs.kernel, s = cs.stride, p = cs.pad;
  test::expect_gradients_match(
      [k, s, p](const std::vector<Tensor>& t) { return max_pool2d(t[0], k, s, p); }, {x});
}

INSTANTIATE_TEST_SUITE_P(Table, MaxPoolCases,
                         ::testing::Values(MaxPoolCase{"resnet_k3_s2_p1", {2, 4, 12, 11}, 3, 2, 1},
                                           MaxPoolCase{"k2_s2", {2, 3, 8, 9}, 2, 2, 0},
                                           MaxPoolCase{
                                               "k3_s1_p1_overlapping", {1, 3, 7, 6}, 3, 1, 1},
                                           MaxPoolCase{"k3_s3_ragged", {1, 2, 10, 11}, 3, 3, 0},
                                           MaxPoolCase{"channels33", {1, 33, 5, 6}, 2, 2, 1},
                                           MaxPoolCase{"image255x257", {1, 2, 255, 257}, 3, 2, 1}),
                         [](const auto& info) { return info.param.name; });

TEST(MaxPool2d, PaddingNeverWinsAndFirstMaximumWins) {
  // All inputs negative: a zero-padded implementation would return 0 at the borders.
  Tensor x = Tensor::full({1, 1, 3, 3}, -2.0, DType::f64).set_requires_grad(true);
  Tensor y = max_pool2d(x, 3, 2, 1);
  EXPECT_EQ(y.to_vector<double>(), std::vector<double>(4, -2.0));
  // Every window is one big tie: each output's gradient goes to the window's first in-image
  // cell, (0,0), (0,1), (1,0) and (1,1) for the windows rows/cols [0,2) and [1,3).
  y.backward(Tensor::full(y.shape(), 1.0, DType::f64));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1, 0, 1, 1, 0, 0, 0, 0}));
}

TEST(MaxPool2d, RejectsBadArguments) {
  Tensor x = Tensor::zeros({1, 1, 4, 4});
  EXPECT_THROW(max_pool2d(x, 2, 2, 2), Error);  // padding > kernel / 2
  EXPECT_THROW(max_pool2d(x, 5, 1, 0), Error);  // kernel larger than the image
  EXPECT_THROW(max_pool2d(Tensor::zeros({4, 4}), 2, 2, 0), Error);
}

struct AdaptiveCase {
  std::string name;
  Shape shape;
  int64_t out_h, out_w;
};

// gtest prints a case by its name.
void PrintTo(const AdaptiveCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<double> naive_adaptive_avg(const AdaptiveCase& cs, const std::vector<double>& x) {
  const int64_t n = cs.shape[0] * cs.shape[1], h = cs.shape[2], w = cs.shape[3];
  std::vector<double> y;
  for (int64_t p = 0; p < n; ++p)
    for (int64_t r = 0; r < cs.out_h; ++r)
      for (int64_t q = 0; q < cs.out_w; ++q) {
        const auto h0 = static_cast<int64_t>(std::floor(double(r) * h / cs.out_h));
        const auto h1 = static_cast<int64_t>(std::ceil(double(r + 1) * h / cs.out_h));
        const auto w0 = static_cast<int64_t>(std::floor(double(q) * w / cs.out_w));
        const auto w1 = static_cast<int64_t>(std::ceil(double(q + 1) * w / cs.out_w));
        double sum = 0;
        for (int64_t i = h0; i < h1; ++i)
          for (int64_t j = w0; j < w1; ++j) sum += x[(p * h + i) * w + j];
        y.push_back(sum / double((h1 - h0) * (w1 - w0)));
      }
  return y;
}

class AdaptiveCases : public ::testing::TestWithParam<AdaptiveCase> {};

TEST_P(AdaptiveCases, ForwardAndGradients) {
  const AdaptiveCase& cs = GetParam();
  Tensor x = Tensor::uniform(cs.shape, -1, 1, 600, DType::f64);
  Tensor y = adaptive_avg_pool2d(x, cs.out_h, cs.out_w);
  EXPECT_TRUE(test::all_close(
      y, Tensor::from_vector<double>(naive_adaptive_avg(cs, x.to_vector<double>()), y.shape())));
  EXPECT_TRUE(
      test::all_close(adaptive_avg_pool2d(x.to(DType::f32), cs.out_h, cs.out_w), y.to(DType::f32)));
  x.set_requires_grad(true);
  const int64_t oh = cs.out_h, ow = cs.out_w;
  test::expect_gradients_match(
      [oh, ow](const std::vector<Tensor>& t) { return adaptive_avg_pool2d(t[0], oh, ow); }, {x});
}

INSTANTIATE_TEST_SUITE_P(Table, AdaptiveCases,
                         ::testing::Values(AdaptiveCase{"global", {2, 3, 7, 5}, 1, 1},
                                           AdaptiveCase{"ragged_7_to_3", {2, 4, 7, 7}, 3, 3},
                                           AdaptiveCase{"upsampling_overlap", {1, 3, 4, 3}, 5, 4},
                                           AdaptiveCase{"identity", {1, 2, 6, 5}, 6, 5},
                                           AdaptiveCase{"channels31", {1, 31, 9, 10}, 4, 3},
                                           AdaptiveCase{"image255x257", {1, 2, 255, 257}, 2, 3},
                                           // PSPNet's pyramid (1, 2, 3, 6) on a stride-8 map
                                           AdaptiveCase{"psp_8_to_2", {2, 3, 8, 8}, 2, 2},
                                           AdaptiveCase{"psp_8_to_3", {2, 3, 8, 8}, 3, 3},
                                           AdaptiveCase{"psp_8_to_6", {2, 3, 8, 8}, 6, 6}),
                         [](const auto& info) { return info.param.name; });

// The CUDA backward passes gather over the outputs whose window/bin holds each input; the
// ranges come from kernels/pooling.cuh and are checked here against brute force.
TEST(Pooling, GatherRangesMatchBruteForce) {
  for (int64_t in = 1; in <= 12; ++in)
    for (int64_t kernel = 1; kernel <= std::min<int64_t>(in, 5); ++kernel)
      for (int64_t stride = 1; stride <= 3; ++stride)
        for (int64_t pad = 0; 2 * pad <= kernel; ++pad) {
          const int64_t out = max_pool_output_size(in, kernel, stride, pad);
          for (int64_t i = 0; i < in; ++i)
            for (int64_t o = 0; o < out; ++o) {
              const bool holds = pool_window_begin(o, stride, pad) <= i &&
                                 i < pool_window_end(o, kernel, stride, pad, in);
              const bool in_range = pool_first_output(i, kernel, stride, pad) <= o &&
                                    o <= pool_last_output(i, stride, pad, out);
              EXPECT_EQ(holds, in_range) << "in " << in << " kernel " << kernel << " stride "
                                         << stride << " pad " << pad << " i " << i << " o " << o;
            }
        }
  for (int64_t in = 1; in <= 12; ++in)
    for (int64_t out = 1; out <= 12; ++out)
      for (int64_t i = 0; i < in; ++i)
        for (int64_t o = 0; o < out; ++o) {
          const bool holds =
              adaptive_bin_begin(o, in, out) <= i && i < adaptive_bin_end(o, in, out);
          const bool in_range =
              adaptive_first_output(i, in, out) <= o && o < adaptive_end_output(i, in, out);
          EXPECT_EQ(holds, in_range) << "in " << in << " out " << out << " i " << i << " o " << o;
        }
}

TEST(Pooling, ResultsDoNotDependOnThreadCount) {
  auto run = [](int threads) {
    omp_set_num_threads(threads);
    Tensor x = Tensor::uniform({2, 5, 17, 19}, -1, 1, 700).set_requires_grad(true);
    Tensor m = max_pool2d(x, 3, 2, 1), a = adaptive_avg_pool2d(x, 5, 3);
    m.backward(Tensor::uniform(m.shape(), -1, 1, 701));
    a.backward(Tensor::uniform(a.shape(), -1, 1, 702));
    return std::vector<std::vector<float>>{m.to_vector<float>(), a.to_vector<float>(),
                                           x.grad().to_vector<float>()};
  };
  const int saved = omp_get_max_threads();
  auto one = run(1), two = run(2);
  omp_set_num_threads(saved);
  EXPECT_EQ(one, two);
}

}  // namespace
}  // namespace cromss
