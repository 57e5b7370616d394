// The split per-channel reductions of kernels/channel_reduce.cuh (the logic the CUDA BN
// statistics, BN backward sums and conv bias gradient run on): the partition covers every value
// of an NCHW tensor exactly once, the chunk count fills the device, and combining chunk partials
// in chunk order matches a one-pass double reference written here, for any chunk count, with the
// same bits whenever the chunk count is fixed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/channel_reduce.cuh"
#include "tests/tolerance.h"

namespace cromss {
namespace {

TEST(ChannelPartition, ChunksTileEachChannelWithSizesWithinOne) {
  for (int64_t count : {0, 1, 7, 4095, 4096, 100003}) {
    for (int64_t chunks : {1, 2, 3, 7, 64, 1024}) {
      SCOPED_TRACE(::testing::Message() << "count " << count << " chunks " << chunks);
      EXPECT_EQ(chunk_begin(count, chunks, 0), 0);
      EXPECT_EQ(chunk_begin(count, chunks, chunks), count);
      for (int64_t j = 0; j < chunks; ++j) {
        const int64_t size = chunk_begin(count, chunks, j + 1) - chunk_begin(count, chunks, j);
        EXPECT_TRUE(size == count / chunks || size == count / chunks + 1) << "chunk " << j;
      }
    }
  }
}

TEST(ChannelPartition, EveryValueOfTheTensorExactlyOnce) {
  const int64_t n = 3, c = 5, hw = 37, count = n * hw;
  for (int64_t chunks : {1, 4, 111}) {
    std::vector<int> hits(static_cast<size_t>(n * c * hw), 0);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t j = 0; j < chunks; ++j)
        for (int64_t i = chunk_begin(count, chunks, j); i < chunk_begin(count, chunks, j + 1);
             ++i) {
          const int64_t flat = channel_offset<int64_t>(i, ch, c, hw);
          ASSERT_GE(flat, 0);
          ASSERT_LT(flat, n * c * hw);
          EXPECT_EQ(flat / hw % c, ch) << "value " << i << " of channel " << ch;
          ++hits[size_t(flat)];
        }
    EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }))
        << "chunks " << chunks;
  }
  // The 32-bit index path computes the same offsets.
  EXPECT_EQ(channel_offset<int32_t>(40, 2, 5, 37), channel_offset<int64_t>(40, 2, 5, 37));
}

TEST(ChannelPartition, ChunkCountFillsTheDeviceWithoutTinyChunks) {
  const int64_t sms = 132;
  // 16 channels of 128 x 128 x 128 values: ceil(132 * 4 / 16) = 33 chunks each.
  EXPECT_EQ(chunks_per_channel(128 * 128 * 128, 16, sms), 33);
  // Many channels: one chunk each already fills the device.
  EXPECT_EQ(chunks_per_channel(1 << 20, 2048, sms), 1);
  // Few values: no chunk below kMinChunkValues.
  EXPECT_EQ(chunks_per_channel(kMinChunkValues - 1, 1, sms), 1);
  EXPECT_EQ(chunks_per_channel(3 * kMinChunkValues + 5, 1, sms), 3);
  // A single huge channel takes every block; on a (hypothetical) 1000-SM device it stops at the
  // cap.
  EXPECT_EQ(chunks_per_channel(int64_t(1) << 34, 1, sms), sms * kChannelBlocksPerSm);
  EXPECT_EQ(chunks_per_channel(int64_t(1) << 34, 1, 1000), kMaxChunksPerChannel);
  // Degenerate inputs give one chunk.
  EXPECT_EQ(chunks_per_channel(0, 8, sms), 1);
  EXPECT_EQ(chunks_per_channel(1 << 20, 8, 0), 1);  // an unknown SM count counts as one
  for (int64_t count : {int64_t(1), int64_t(5000), int64_t(1) << 22})
    for (int64_t channels : {1, 3, 64, 1000}) {
      const int64_t k = chunks_per_channel(count, channels, sms);
      EXPECT_GE(k, 1);
      EXPECT_LE(k, kMaxChunksPerChannel);
      if (k > 1) EXPECT_GE(count / k, kMinChunkValues);
    }
}

// Values of one channel: normal(offset, 2), seeded.
std::vector<double> channel_values(int64_t count, double offset, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(offset, 2.0);
  std::vector<double> v(static_cast<size_t>(count));
  for (double& x : v) x = normal(rng);
  return v;
}

// The partial of chunk j: its exact mean and M2 (double two-pass), rounded to A as the device
// stores it.
template <class A>
void chunk_partial(const std::vector<double>& v, int64_t chunks, int64_t j, A* mean, A* m2) {
  const int64_t count = int64_t(v.size()), b = chunk_begin(count, chunks, j),
                e = chunk_begin(count, chunks, j + 1);
  double s = 0, q = 0;
  for (int64_t i = b; i < e; ++i) s += v[size_t(i)];
  const double mu = e > b ? s / double(e - b) : 0;
  for (int64_t i = b; i < e; ++i) q += (v[size_t(i)] - mu) * (v[size_t(i)] - mu);
  *mean = A(mu);
  *m2 = A(q);
}

// Combined mean and biased variance of a channel split into `chunks`; partials are produced in
// `order` (a permutation of the chunks), combined in chunk order.
template <class A>
std::pair<A, A> combined_stats(const std::vector<double>& v, int64_t chunks,
                               const std::vector<int64_t>& order) {
  std::vector<A> mean(static_cast<size_t>(chunks)), m2(static_cast<size_t>(chunks));
  for (int64_t j : order) chunk_partial(v, chunks, j, &mean[size_t(j)], &m2[size_t(j)]);
  const MeanM2<A> r = combine_mean_m2(mean.data(), m2.data(), int64_t(v.size()), chunks);
  EXPECT_EQ(r.count, int64_t(v.size()));
  return {r.mean, r.m2 / A(v.size())};
}

std::vector<int64_t> in_order(int64_t chunks) {
  std::vector<int64_t> o(static_cast<size_t>(chunks));
  std::iota(o.begin(), o.end(), 0);
  return o;
}

template <class A>
void check_stats_against_one_pass(DType dtype, double offset, uint64_t seed) {
  std::printf("seed %llu dtype %s offset %g\n", static_cast<unsigned long long>(seed),
              dtype_name(dtype), offset);
  const int64_t count = 200003;
  const std::vector<double> v = channel_values(count, offset, seed);
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  const double mean = sum / double(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  const std::vector<double> reference{mean, sq / double(v.size())};
  // Chunk counts the planner can choose: at least kMinChunkValues values per chunk (with f32
  // partial means at an offset of 1e4, their rounding would dominate far smaller chunks).
  for (int64_t chunks : {int64_t(1), int64_t(2), int64_t(7), count / kMinChunkValues}) {
    const auto [m, var] = combined_stats<A>(v, chunks, in_order(chunks));
    const test::Comparison cmp =
        test::compare_elementwise({double(m), double(var)}, reference, test::tolerance_for(dtype));
    EXPECT_TRUE(cmp.ok) << cmp.summary("chunks " + std::to_string(chunks));
  }
}

TEST(ChannelCombine, MeanAndVarianceMatchOnePassForAnyChunkCount) {
  check_stats_against_one_pass<double>(DType::f64, 0.5, 11);
  check_stats_against_one_pass<float>(DType::f32, 0.5, 12);
  // Mean 1e4 with standard deviation 2: a sum of squares in f32 would lose the variance.
  check_stats_against_one_pass<float>(DType::f32, 1e4, 13);
}

TEST(ChannelCombine, SameChunkCountGivesTheSameBitsWhateverOrderPartialsArrive) {
  const uint64_t seed = 21;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const std::vector<double> v = channel_values(30011, 3.0, seed);
  std::vector<int64_t> shuffled = in_order(33);
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(seed));
  const auto a = combined_stats<float>(v, 33, in_order(33));
  const auto b = combined_stats<float>(v, 33, shuffled);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
}

TEST(ChannelCombine, MergeOfEmptySetIsIdentity) {
  const MeanM2<float> some{5, 2.5f, 10.f};
  const MeanM2<float> left = merge_mean_m2(MeanM2<float>{}, some);
  const MeanM2<float> right = merge_mean_m2(some, MeanM2<float>{});
  for (const MeanM2<float>& r : {left, right}) {
    EXPECT_EQ(r.count, 5);
    EXPECT_EQ(r.mean, 2.5f);
    EXPECT_EQ(r.m2, 10.f);
  }
}

TEST(ChannelCombine, SumsMatchOnePassForAnyChunkCount) {
  const uint64_t seed = 31;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const std::vector<double> v = channel_values(40009, -0.25, seed);
  const double reference = std::accumulate(v.begin(), v.end(), 0.0);
  for (int64_t chunks : {1, 5, 33, 1024}) {
    std::vector<float> part(static_cast<size_t>(chunks));
    for (int64_t j = 0; j < chunks; ++j) {
      double s = 0;
      for (int64_t i = chunk_begin(int64_t(v.size()), chunks, j);
           i < chunk_begin(int64_t(v.size()), chunks, j + 1); ++i)
        s += v[size_t(i)];
      part[size_t(j)] = float(s);
    }
    const float total = combine_sums(part.data(), chunks);
    // Each of the `chunks` f32 partials and additions rounds once: the f32 element tolerance
    // per rounding.
    const test::Tolerance tol = test::tolerance_for(DType::f32);
    EXPECT_NEAR(total, reference, (tol.atol + tol.rtol * std::fabs(reference)) * double(chunks))
        << "chunks " << chunks;
  }
}

}  // namespace
}  // namespace cromss
