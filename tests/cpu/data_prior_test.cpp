// CPU prior (method-spec.md §3.1) against scipy.ndimage.gaussian_filter (fixture from
// tools/make_prior_fixture.py), plus the reflect index and tap invariants of kernels/prior.cuh.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <vector>

#include "data/prior.h"
#include "kernels/prior.cuh"

namespace cromss::data {
namespace {

TEST(DataPrior, ReflectIndexMatchesScipyReflect) {
  // scipy 'reflect' on n = 4: ... 1 0 | 0 1 2 3 | 3 2 1 0 | 0 1 ...
  const int expect[] = {1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1};
  for (int i = -2; i < 10; ++i) EXPECT_EQ(reflect_index(i, 4), expect[i + 2]) << i;
  EXPECT_EQ(reflect_index(-13, 1), 0);
  float t[kPriorTaps];
  gaussian_taps(t);
  double sum = 0;
  for (float v : t) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_FLOAT_EQ(t[0], t[kPriorTaps - 1]);
  EXPECT_NEAR(t[kPriorRadius + 1] / t[kPriorRadius], std::exp(-1.0 / 18.0), 1e-6);
}

void check_case(const std::string& name) {
  std::ifstream f(std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/prior/" + name + ".bin",
                  std::ios::binary);
  ASSERT_TRUE(f) << name;
  int32_t hdr[4];
  f.read(reinterpret_cast<char*>(hdr), sizeof hdr);
  const int seasons = hdr[0], h = hdr[1], w = hdr[2], season = hdr[3];
  const size_t hw = static_cast<size_t>(h) * w;
  std::vector<uint8_t> labels(seasons * hw);
  f.read(reinterpret_cast<char*>(labels.data()), labels.size());
  for (PriorType type : {PriorType::t, PriorType::s, PriorType::ts}) {
    std::vector<float> ref(9 * hw), got(9 * hw);
    f.read(reinterpret_cast<char*>(ref.data()), ref.size() * sizeof(float));
    ASSERT_TRUE(f);
    compute_prior(labels.data(), seasons, h, w, season, type, 9, got.data());
    double max_err = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      max_err = std::max(max_err, std::abs(double(ref[i]) - got[i]));
    EXPECT_LT(max_err, 2e-6) << name << " type " << static_cast<int>(type);
  }
}

TEST(DataPrior, MatchesScipyGaussianFilter) {
  check_case("blocks_30x26");
  check_case("small_7x9");  // image smaller than the kernel radius: repeated reflection
}

}  // namespace
}  // namespace cromss::data
