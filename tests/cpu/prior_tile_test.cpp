// The tiled label prior of the CUDA kernel (kernels/prior_tile.cuh) on the CPU: the tiles cover
// every output pixel once, the halo rows and columns a tile loads are exactly the reflected rows
// and columns the CPU reference reads, and the tile code run by one host "thread" equals the CPU
// reference prior (kernels/cpu/cromss_prior.cpp) within the f32 tolerance, for odd plane sizes,
// planes smaller than the halo and labels outside the classes.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <vector>

#include "kernels/cromss_prior.h"
#include "kernels/prior_tile.cuh"
#include "tests/tolerance.h"

namespace cromss {
namespace {

const int kSizes[] = {1, 2, 7, 12, 13, 25, 31, 32, 33, 64, 255, 257};

TEST(PriorTile, TilesCoverEveryPixelOnce) {
  for (int H : kSizes)
    for (int W : {1, 13, 32, 33, 257}) {
      std::vector<int> hits(static_cast<size_t>(H) * W, 0);
      const int tiles = prior_tiles_along(H) * prior_tiles_along(W);
      for (int t = 0; t < tiles; ++t) {
        const PriorTileBounds b = prior_tile_bounds(t, H, W);
        ASSERT_GT(b.rows, 0);
        ASSERT_GT(b.cols, 0);
        ASSERT_LE(b.rows, kPriorTile);
        ASSERT_LE(b.cols, kPriorTile);
        for (int y = b.y0; y < b.y0 + b.rows; ++y)
          for (int x = b.x0; x < b.x0 + b.cols; ++x) ++hits[static_cast<size_t>(y) * W + x];
      }
      for (size_t i = 0; i < hits.size(); ++i) ASSERT_EQ(hits[i], 1) << H << "x" << W << " @" << i;
    }
}

TEST(PriorTile, HaloHoldsExactlyTheReferenceReads) {
  for (int n : kSizes)
    for (int t = 0; t < prior_tiles_along(n); ++t) {
      const PriorTileBounds b = prior_tile_bounds(t, n, n);
      const int halo = b.rows + 2 * kPriorRadius;
      ASSERT_LE(halo, kPriorHaloEdge);
      std::set<int> loaded, read;
      for (int i = 0; i < halo; ++i) loaded.insert(prior_halo_source(b.y0, i, n));
      for (int j = 0; j < b.rows; ++j)          // output row b.y0 + j ...
        for (int k = 0; k < kPriorTaps; ++k) {  // ... reads halo row j + k for tap k
          const int y = b.y0 + j, offset = k - kPriorRadius;
          ASSERT_EQ(prior_halo_source(b.y0, j + k, n), reflect_index(y + offset, n))
              << "n " << n << " row " << y << " tap " << offset;
          read.insert(reflect_index(y + offset, n));
        }
      EXPECT_EQ(loaded, read) << "n " << n << " tile " << t;
    }
}

// The prior of (B, S, H, W) labels through the tile code, one host thread per tile.
std::vector<float> tiled_prior(const std::vector<int32_t>& labels, const std::vector<int>& season,
                               int S, int C, int H, int W, PriorMix mix) {
  float taps[kPriorTaps];
  gaussian_taps(taps);
  const size_t HW = static_cast<size_t>(H) * W;
  std::vector<float> prior(season.size() * C * HW, -1.f);
  std::vector<unsigned char> smem(prior_tile_smem_bytes(S));
  for (size_t b = 0; b < season.size(); ++b)
    for (int t = 0; t < prior_tiles_along(H) * prior_tiles_along(W); ++t)
      prior_tile(labels.data() + b * S * HW, season[b], S, C, H, W, mix.temporal, mix.spatial, taps,
                 t, smem.data(), 0, 1, prior.data() + b * C * HW);
  return prior;
}

void expect_tiles_match_reference(int S, int H, int W, uint64_t seed) {
  const int C = 9;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  const std::vector<int> season = {static_cast<int>(rng() % S), static_cast<int>(rng() % S)};
  const size_t HW = static_cast<size_t>(H) * W;
  // Blocky labels (class regions like land cover) with a few outside 0..C-1 (255, no class).
  std::vector<uint8_t> labels(season.size() * S * HW);
  for (size_t i = 0; i < labels.size(); ++i) {
    const size_t y = (i % HW) / W, x = i % W;
    labels[i] = rng() % 50 == 0 ? 255 : static_cast<uint8_t>((y / 5 + x / 7 + rng() % 2) % C);
  }
  const std::vector<int32_t> wide(labels.begin(), labels.end());
  for (PriorType type : {PriorType::ts, PriorType::t, PriorType::s}) {
    const PriorMix mix = prior_mix(type);
    std::vector<float> reference(season.size() * C * HW);
    for (size_t b = 0; b < season.size(); ++b)
      cpu_kernels::label_prior_sample(labels.data() + b * S * HW, S, H, W, season[b], C,
                                      mix.temporal, mix.spatial, reference.data() + b * C * HW);
    const Shape shape{static_cast<int64_t>(season.size()), C, H, W};
    EXPECT_TRUE(
        test::all_close(Tensor::from_vector(tiled_prior(wide, season, S, C, H, W, mix), shape),
                        Tensor::from_vector(reference, shape)))
        << H << "x" << W << " type " << static_cast<int>(type);
  }
}

TEST(PriorTile, MatchesCpuReferenceOnOddSizes) {
  expect_tiles_match_reference(4, 255, 257, 13);
}

TEST(PriorTile, MatchesCpuReferenceBelowTheHalo) {
  expect_tiles_match_reference(4, 7, 9, 14);   // reflected more than once
  expect_tiles_match_reference(3, 33, 1, 15);  // one column, three seasons
}

}  // namespace
}  // namespace cromss
