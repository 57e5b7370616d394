// The cuDNN algorithm choice of kernels/conv2d_algo_cache.h with fake cuDNN sources: without
// --deterministic the fastest measured algorithm within the workspace cap wins (deterministic or
// not) and is measured once per key; with it the first deterministic heuristic candidate wins,
// nothing is measured, and having none is an error naming --deterministic; the cache lists its
// choices in first-seen order and describes them by cuDNN's algorithm names.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/conv2d_algo_cache.h"

namespace cromss {
namespace {

constexpr size_t kCap = size_t{1} << 20;

Conv2dAlgoKey key_of(int64_t n, bool deterministic,
                     ConvDirection direction = ConvDirection::forward) {
  Conv2dGeometry g;
  g.n = n, g.c = 64, g.h = 32, g.w = 32, g.k = 64, g.kh = 3, g.kw = 3, g.oh = 32, g.ow = 32;
  g.pad_h = g.pad_w = 1;
  return make_conv2d_algo_key(g, DType::bf16, direction, 0, deterministic);
}

// Fake cuDNN: counts its calls and returns fixed candidates.
struct FakeCudnn {
  int heuristic_calls = 0, measure_calls = 0;
  std::vector<ConvAlgoCandidate> ranked, timed;
  ConvAlgoSources sources() {
    return {[this] {
              ++heuristic_calls;
              return ranked;
            },
            [this] {
              ++measure_calls;
              return timed;
            }};
  }
};

FakeCudnn typical_cudnn() {
  FakeCudnn f;
  // algo, supported, deterministic, workspace, time_ms, math_type
  f.ranked = {{0, true, false, 0, -1, 1}, {1, true, true, 1024, -1, 1}, {2, true, true, 0, -1, 1}};
  f.timed = {{1, true, true, 1024, 0.9f, 1},
             {0, true, false, 0, 0.5f, 1},        // fastest: non-deterministic
             {4, true, true, kCap * 2, 0.1f, 1},  // faster still, but over the workspace cap
             {5, false, true, 0, 0.05f, 1}};      // failed to run
  return f;
}

TEST(ConvAlgoCache, MeasuresOncePerKeyAndTakesTheFastestWithinTheCap) {
  ConvAlgoCache cache;
  FakeCudnn cudnn = typical_cudnn();
  const ConvAlgoChoice first = cache.choose(key_of(8, false), cudnn.sources(), kCap, "forward");
  EXPECT_EQ(first.algo, 0);
  EXPECT_FALSE(first.deterministic);
  EXPECT_FLOAT_EQ(first.time_ms, 0.5f);
  EXPECT_TRUE(first.measured());
  const ConvAlgoChoice again = cache.choose(key_of(8, false), cudnn.sources(), kCap, "forward");
  EXPECT_EQ(again.algo, 0);
  EXPECT_EQ(cudnn.measure_calls, 1) << "a key is measured once";
  EXPECT_EQ(cudnn.heuristic_calls, 0);
  cache.choose(key_of(16, false), cudnn.sources(), kCap, "forward");
  cache.choose(key_of(8, false, ConvDirection::backward_filter), cudnn.sources(), kCap,
               "backward-filter");
  EXPECT_EQ(cudnn.measure_calls, 3) << "another batch or direction is another key";
}

TEST(ConvAlgoCache, DeterministicTakesTheFirstDeterministicHeuristicAndMeasuresNothing) {
  ConvAlgoCache cache;
  FakeCudnn cudnn = typical_cudnn();
  const ConvAlgoChoice choice = cache.choose(key_of(8, true), cudnn.sources(), kCap, "forward");
  EXPECT_EQ(choice.algo, 1) << "algo 0 ranks first but is not deterministic";
  EXPECT_TRUE(choice.deterministic);
  EXPECT_EQ(choice.workspace, 1024u);
  EXPECT_FALSE(choice.measured()) << "a heuristic choice has no measured time";
  EXPECT_EQ(cudnn.measure_calls, 0);
  cache.choose(key_of(8, true), cudnn.sources(), kCap, "forward");
  EXPECT_EQ(cudnn.heuristic_calls, 1);
  // The same convolution without --deterministic is a separate key and is measured.
  EXPECT_EQ(cache.choose(key_of(8, false), cudnn.sources(), kCap, "forward").algo, 0);
  EXPECT_EQ(cudnn.measure_calls, 1);
}

TEST(ConvAlgoCache, NoQualifyingAlgorithmIsAnErrorNamingTheCause) {
  ConvAlgoCache cache;
  FakeCudnn cudnn;
  cudnn.ranked = {{0, true, false, 0, -1, 0}, {3, true, true, kCap + 1, -1, 0}};
  try {
    cache.choose(key_of(8, true), cudnn.sources(), kCap, "backward-data");
    FAIL() << "expected a CudnnError";
  } catch (const CudnnError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no deterministic backward-data algorithm"), std::string::npos) << what;
    EXPECT_NE(what.find("--deterministic"), std::string::npos) << what;
  }
  cudnn.timed = {{5, false, true, 0, 0.1f, 0}};
  EXPECT_THROW(cache.choose(key_of(8, false), cudnn.sources(), kCap, "forward"), CudnnError);
  EXPECT_TRUE(cache.entries().empty()) << "a failed choice is not cached";
}

TEST(ConvAlgoCache, ListsAndDescribesItsChoicesInFirstSeenOrder) {
  ConvAlgoCache cache;
  FakeCudnn cudnn = typical_cudnn();
  cache.choose(key_of(16, false), cudnn.sources(), kCap, "forward");
  cache.choose(key_of(8, true, ConvDirection::backward_data), cudnn.sources(), kCap,
               "backward-data");
  cache.choose(key_of(16, false), cudnn.sources(), kCap, "forward");
  const auto entries = cache.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].first, key_of(16, false));
  EXPECT_EQ(entries[1].first, key_of(8, true, ConvDirection::backward_data));
  const std::string measured = describe_conv_algo(entries[0].first, entries[0].second);
  EXPECT_NE(measured.find("forward"), std::string::npos) << measured;
  EXPECT_NE(measured.find("N16 C64 32x32 -> K64 3x3"), std::string::npos) << measured;
  EXPECT_NE(measured.find("IMPLICIT_GEMM (non-deterministic)"), std::string::npos) << measured;
  EXPECT_NE(measured.find("0.500 ms measured"), std::string::npos) << measured;
  const std::string heuristic = describe_conv_algo(entries[1].first, entries[1].second);
  EXPECT_NE(heuristic.find("backward-data"), std::string::npos) << heuristic;
  EXPECT_NE(heuristic.find("ALGO_1 (deterministic)"), std::string::npos) << heuristic;
  EXPECT_NE(heuristic.find("heuristic"), std::string::npos) << heuristic;
}

TEST(ConvAlgoCache, NamesFollowCudnnsEnums) {
  EXPECT_EQ(conv_algo_name(ConvDirection::forward, 1), "IMPLICIT_PRECOMP_GEMM");
  EXPECT_EQ(conv_algo_name(ConvDirection::forward, 7), "WINOGRAD_NONFUSED");
  EXPECT_EQ(conv_algo_name(ConvDirection::backward_data, 3), "FFT_TILING");
  EXPECT_EQ(conv_algo_name(ConvDirection::backward_filter, 3), "ALGO_3");
  EXPECT_EQ(conv_algo_name(ConvDirection::backward_filter, 9), "algo 9");
}

}  // namespace
}  // namespace cromss
