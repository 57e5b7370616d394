// The radix selection of the GPU thresholds (kernels/cromss_radix_select.cuh), run on the CPU with
// the same digit functions as the CUDA kernels, against std::nth_element: random confidences,
// many ties, zeros, a single value, k = n.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cromss_radix_select.cuh"

namespace cromss {
namespace {

// The k-th largest (1-based) of non-negative values, pass by pass as the GPU does it.
float radix_select_model(const std::vector<float>& v, uint32_t k) {
  uint32_t rank = k, prefix = 0;
  for (int pass = 0; pass < kRadixPasses; ++pass) {
    std::vector<uint32_t> hist(kRadixBuckets, 0);
    for (float x : v) {
      const uint32_t bits = ordered_bits(x);
      if (radix_prefix_matches(bits, prefix, pass)) ++hist[radix_digit(bits, pass)];
    }
    prefix |= select_digit(hist.data(), &rank) << radix_shift(pass);
  }
  return float_from_bits(prefix);
}

float nth_largest(std::vector<float> v, size_t k) {
  std::nth_element(v.begin(), v.begin() + (k - 1), v.end(), std::greater<float>());
  return v[k - 1];
}

TEST(RadixSelect, MatchesNthElement) {
  const uint64_t seed = 77;
  SCOPED_TRACE("seed 77");
  std::vector<float> u = Tensor::uniform({5000}, 0, 1, seed).to_vector<float>();
  std::vector<float> ties(u.size());
  for (size_t i = 0; i < u.size(); ++i) ties[i] = float(int(u[i] * 7)) / 7.f;  // 7 values
  std::vector<float> small(u.size());
  for (size_t i = 0; i < u.size(); ++i) small[i] = u[i] * 1e-30f;  // denormals and tiny values
  for (const auto* v : {&u, &ties, &small}) {
    for (size_t k : {size_t(1), size_t(2), size_t(17), size_t(2500), size_t(4999), size_t(5000)})
      EXPECT_EQ(radix_select_model(*v, uint32_t(k)), nth_largest(*v, k)) << "k = " << k;
  }
  EXPECT_EQ(radix_select_model({0.f, 0.f, 0.f}, 2), 0.f);
  EXPECT_EQ(radix_select_model({0.25f}, 1), 0.25f);
}

}  // namespace
}  // namespace cromss
