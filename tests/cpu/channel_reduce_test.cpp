// The split per-channel reductions of kernels/channel_reduce.cuh (the logic the CUDA BN
// statistics, BN backward sums and conv bias gradient run on): the partition covers every value
// of an NCHW tensor exactly once, the chunk count fills the device, and combining chunk partials
// in chunk order matches a one-pass double reference written here, for any chunk count, with the
// same bits whenever the chunk count is fixed. The channels-last (NHWC) plan: its blocks and
// threads cover every value of a [rows, C] matrix exactly once, each thread's channels are one
// aligned vector inside a row, warps read consecutive addresses, the block count fills the device,
// and the first pass simulated on the CPU block by block, combined by the NCHW second pass,
// matches the one-pass reference.
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

// Visits every (block, thread, channel, row) of a channels-last plan in the order the device
// assigns them: fn(block, thread, ch, row).
template <class Fn>
void for_each_channels_last_value(const ChannelsLastPlan& p, const Fn& fn) {
  for (int64_t block = 0; block < p.blocks(); ++block)
    for (int64_t thread = 0; thread < kChannelsLastThreads; ++thread) {
      const int64_t ch0 = p.first_channel(block, thread);
      if (ch0 >= p.channels) continue;
      for (int64_t row = p.first_row(block, thread); row < p.tile_end(block); row += p.threads_r)
        for (int64_t w = 0; w < p.width; ++w) fn(block, thread, ch0 + w, row);
    }
}

TEST(ChannelsLastPlan, EveryValueExactlyOnceWithAlignedChannelRuns) {
  struct Case {
    int64_t rows, channels, width, sms;
  };
  // C a multiple of the bf16 vector (8), of the f32 one (4), odd C scalar, C beyond one block's
  // run, and rows that split into many uneven tiles.
  for (const Case& k : {Case{1000, 16, 8, 132}, Case{20000, 64, 8, 132}, Case{777, 12, 4, 132},
                        Case{5000, 3, 1, 132}, Case{3000, 2056, 8, 132}, Case{9, 4, 4, 132},
                        Case{100003, 33, 1, 7}}) {
    SCOPED_TRACE(::testing::Message()
                 << "rows " << k.rows << " channels " << k.channels << " width " << k.width);
    const ChannelsLastPlan p = plan_channels_last(k.rows, k.channels, k.width, k.sms);
    EXPECT_EQ(p.threads_c * p.threads_r, kChannelsLastThreads);
    EXPECT_LE(p.threads_c, 32);
    EXPECT_EQ(32 % p.threads_c, 0);  // a warp holds whole rows of the channel run
    std::vector<int> hits(static_cast<size_t>(k.rows * k.channels), 0);
    for_each_channels_last_value(p, [&](int64_t, int64_t, int64_t ch, int64_t row) {
      ASSERT_LT(ch, k.channels);
      ASSERT_LT(row, k.rows);
      ++hits[static_cast<size_t>(row * k.channels + ch)];
    });
    EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
    for (int64_t thread = 0; thread < kChannelsLastThreads; ++thread)
      EXPECT_EQ(p.first_channel(0, thread) % k.width, 0) << "thread " << thread;
    // Lanes 0..31 of warp 0 read consecutive vectors: threads_c vectors of a row, then the next
    // row, contiguous when the run covers the whole row.
    if (p.channel_blocks == 1 && p.threads_c * k.width == k.channels)
      for (int64_t lane = 1; lane < 32 && lane < kChannelsLastThreads; ++lane) {
        const int64_t prev = (p.first_row(0, lane - 1) * k.channels + p.first_channel(0, lane - 1));
        const int64_t here = (p.first_row(0, lane) * k.channels + p.first_channel(0, lane));
        if (p.first_row(0, lane) < p.tile_end(0))
          EXPECT_EQ(here - prev, k.width) << "lane " << lane;
      }
  }
}

TEST(ChannelsLastPlan, BlockCountFillsTheDeviceWithoutTinyTiles) {
  const int64_t sms = 132;
  // The decoder's 16-channel bf16 layer at 128 x 128, batch 128: two threads cover a row, 128
  // row lanes, one channel block, 528 tiles.
  const ChannelsLastPlan a = plan_channels_last(int64_t(128) * 128 * 128, 16, 8, sms);
  EXPECT_EQ(a.threads_c, 2);
  EXPECT_EQ(a.threads_r, 128);
  EXPECT_EQ(a.channel_blocks, 1);
  EXPECT_EQ(a.row_tiles, sms * kChannelBlocksPerSm);
  // 2048 channels in f32 on 1024 rows: 32 threads x 4 channels per block, 16 channel blocks; the
  // device wants 33 tiles, but 8 row lanes x 8 rows per tile allow only 16.
  const ChannelsLastPlan b = plan_channels_last(int64_t(16) * 8 * 8, 2048, 4, sms);
  EXPECT_EQ(b.threads_c, 32);
  EXPECT_EQ(b.channel_blocks, 16);
  EXPECT_EQ(b.row_tiles, 16);
  // Few rows: one tile; a huge matrix stops at kMaxChunksPerChannel tiles.
  EXPECT_EQ(plan_channels_last(100, 64, 8, sms).row_tiles, 1);
  EXPECT_EQ(plan_channels_last(int64_t(1) << 30, 8, 8, 1000).row_tiles, kMaxChunksPerChannel);
  for (int64_t rows : {int64_t(1), int64_t(5000), int64_t(1) << 22})
    for (int64_t channels : {8, 64, 1024}) {
      const ChannelsLastPlan p = plan_channels_last(rows, channels, 8, sms);
      EXPECT_GE(p.row_tiles, 1);
      if (p.row_tiles > 1) EXPECT_GE(rows / p.row_tiles, p.threads_r * kMinTileRowsPerThread);
    }
}

// The first pass simulated block by block: each thread merges its rows in order, the block's
// threads of one channel are merged here in thread order (the device's tree order differs but is
// as fixed), partials go to [ch * tiles + j]; the NCHW second pass combines them.
TEST(ChannelsLastPlan, SimulatedPartialsCombineToTheOnePassStatistics) {
  const uint64_t seed = 41;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const int64_t rows = 30011, channels = 24;
  const ChannelsLastPlan p = plan_channels_last(rows, channels, 8, 20);
  ASSERT_GT(p.row_tiles, 1);
  const std::vector<double> values = channel_values(rows * channels, 1.5, seed);
  std::vector<MeanM2<double>> partial(size_t(channels * p.row_tiles), MeanM2<double>{});
  for_each_channels_last_value(p, [&](int64_t block, int64_t, int64_t ch, int64_t row) {
    MeanM2<double>& part = partial[size_t(ch * p.row_tiles + p.tile(block))];
    part = merge_mean_m2(part, MeanM2<double>{1, values[size_t(row * channels + ch)], 0.0});
  });
  for (int64_t ch = 0; ch < channels; ++ch) {
    std::vector<double> mean(size_t(p.row_tiles)), m2(size_t(p.row_tiles));
    for (int64_t j = 0; j < p.row_tiles; ++j) {
      const MeanM2<double>& part = partial[size_t(ch * p.row_tiles + j)];
      EXPECT_EQ(part.count,
                chunk_begin(rows, p.row_tiles, j + 1) - chunk_begin(rows, p.row_tiles, j));
      mean[size_t(j)] = part.mean;
      m2[size_t(j)] = part.m2;
    }
    const MeanM2<double> r = combine_mean_m2(mean.data(), m2.data(), rows, p.row_tiles);
    double sum = 0, sq = 0;
    for (int64_t row = 0; row < rows; ++row) sum += values[size_t(row * channels + ch)];
    const double mu = sum / double(rows);
    for (int64_t row = 0; row < rows; ++row)
      sq += (values[size_t(row * channels + ch)] - mu) * (values[size_t(row * channels + ch)] - mu);
    const test::Comparison cmp = test::compare_elementwise(
        {r.mean, r.m2 / double(rows)}, {mu, sq / double(rows)}, test::tolerance_for(DType::f64));
    EXPECT_TRUE(cmp.ok) << cmp.summary("channel " + std::to_string(ch));
  }
}

}  // namespace
}  // namespace cromss
