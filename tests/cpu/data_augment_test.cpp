// Augmentation consistency: pixel coordinates encoded in the S1 channels must land exactly where
// the labels and the prior say they came from, for crops, flips and rotations; samples are pure
// functions of (seed, epoch, index); draw frequencies follow method-spec.md §6.3.
#include <gtest/gtest.h>

#include <cmath>

#include "core/random.cuh"
#include "data/sample_pipeline.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {
namespace {

constexpr int kTile = 40, kCrop = 32;

LocationData coordinate_location() {
  LocationData loc;
  loc.height = loc.width = kTile;
  const size_t hw = kTile * kTile;
  loc.s1.resize(kSeasons * kS1Bands * hw);
  loc.s2.resize(kSeasons * kS2Bands * hw);
  loc.label.resize(kSeasons * hw);
  loc.clean_label.resize(kSeasons * hw);
  for (int s = 0; s < kSeasons; ++s)
    for (int y = 0; y < kTile; ++y)
      for (int x = 0; x < kTile; ++x) {
        const size_t p = y * kTile + x;
        loc.s1[(s * 2 + 0) * hw + p] = static_cast<uint8_t>(6 * y);
        loc.s1[(s * 2 + 1) * hw + p] = static_cast<uint8_t>(6 * x);
        for (int b = 0; b < kS2Bands; ++b)
          loc.s2[(s * kS2Bands + b) * hw + p] = static_cast<uint8_t>(10 * s + b);
        loc.label[s * hw + p] = static_cast<uint8_t>((y / 8 + x / 8 + s) % 9);
        loc.clean_label[s * hw + p] = static_cast<uint8_t>((y / 8 + s) % 9);
      }
  return loc;
}

TEST(DataAugment, ImageLabelAndPriorMoveIdentically) {
  const LocationData loc = coordinate_location();
  PipelineOptions opt;
  opt.crop_size = kCrop;
  const size_t hw = kTile * kTile, ohw = kCrop * kCrop;
  int rotated = 0, flipped = 0;
  for (uint64_t index = 0; index < 60; ++index) {
    Sample s;
    make_pretrain_sample(loc, opt, 7, 1, index, s);
    ASSERT_EQ(s.channels, 15);
    std::vector<float> full(9 * hw);
    compute_prior(loc.label.data(), kSeasons, kTile, kTile, s.season, opt.prior_type, 9,
                  full.data());
    rotated += s.aug.rotate;
    flipped += s.aug.flip != 2;
    for (int b = 0; b < kS2Bands; ++b)  // season: every S2 pixel carries 10 s + b
      ASSERT_NEAR(s.img[(2 + b) * ohw + 17] * 255.f, 10 * s.season + b, 1e-3);
    for (size_t o = 0; o < ohw; ++o) {
      const float fy = s.img[o] * 255.f / 6.f, fx = s.img[ohw + o] * 255.f / 6.f;
      const int y = static_cast<int>(std::lround(fy)), x = static_cast<int>(std::lround(fx));
      const uint8_t want_label = static_cast<uint8_t>((y / 8 + x / 8 + s.season) % 9);
      const uint8_t want_clean = static_cast<uint8_t>((y / 8 + s.season) % 9);
      if (!s.aug.rotate) {
        ASSERT_FLOAT_EQ(fy, static_cast<float>(y));
        ASSERT_EQ(s.label[o], want_label) << "index " << index << " pixel " << o;
        ASSERT_EQ(s.clean_label[o], want_clean);
        for (int c = 0; c < 9; ++c) ASSERT_EQ(s.prior[c * ohw + o], full[c * hw + y * kTile + x]);
      } else {
        // Bilinear coordinates and the nearest label agree up to a one-pixel neighbourhood.
        bool near = false;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx)
            near |=
                s.label[o] == static_cast<uint8_t>(((y + dy) / 8 + (x + dx) / 8 + s.season) % 9);
        ASSERT_TRUE(near) << "index " << index << " pixel " << o;
        float sum = 0;
        for (int c = 0; c < 9; ++c) sum += s.prior[c * ohw + o];
        ASSERT_NEAR(sum, 1.f, 1e-4);  // bilinear interpolation keeps the prior a distribution
      }
    }
  }
  EXPECT_GT(rotated, 0);
  EXPECT_GT(flipped, 0);
}

TEST(DataAugment, SamplesArePureFunctionsOfSeedEpochIndex) {
  const LocationData loc = coordinate_location();
  PipelineOptions opt;
  opt.crop_size = kCrop;
  Sample a, b, c;
  make_pretrain_sample(loc, opt, 3, 2, 11, a);
  make_pretrain_sample(loc, opt, 3, 2, 11, b);
  EXPECT_EQ(a.img, b.img);
  EXPECT_EQ(a.prior, b.prior);
  EXPECT_EQ(a.label, b.label);
  int differ = 0;
  for (uint64_t e = 3; e < 8; ++e) {
    make_pretrain_sample(loc, opt, 3, e, 11, c);
    differ += c.img != a.img;
  }
  EXPECT_GT(differ, 0);
}

TEST(DataAugment, DrawFrequenciesFollowUpstream) {
  int rot = 0, flip = 0, codes[3] = {0, 0, 0}, max_top = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double u[6];
    const uint64_t st = sample_stream(1, 0, i);
    for (int k = 0; k < 6; ++k) u[k] = uniform_double(st, k + 1);
    const AugmentParams p = draw_augment(264, 256, u, true);
    rot += p.rotate;
    if (p.flip != 2) {
      ++flip;
      ++codes[p.flip + 1];
    }
    max_top = std::max(max_top, p.top);
    ASSERT_LE(std::abs(p.angle_deg), 90.0);
  }
  EXPECT_NEAR(rot / double(n), 0.2, 0.015);
  EXPECT_NEAR(flip / double(n), 0.5, 0.015);
  for (int c : codes) EXPECT_NEAR(c / double(flip), 1.0 / 3, 0.02);
  EXPECT_EQ(max_top, 8);
  EXPECT_EQ(s2_band_indices(9), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 11, 12}));
  EXPECT_EQ(s2_band_indices(3), (std::vector<int>{3, 2, 1}));
}

TEST(DataAugment, Reflect101) {
  const int expect[] = {2, 1, 0, 1, 2, 3, 2, 1, 0};  // n = 4, i = -2..6
  for (int i = -2; i <= 6; ++i) EXPECT_EQ(reflect101(i, 4), expect[i + 2]) << i;
}

}  // namespace
}  // namespace cromss::data
