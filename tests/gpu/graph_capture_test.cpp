// CUDA-graph capture of the training step on a GPU (label gpu, skips without a device): the
// small CromSS step of tests/graph_step.h captured after a warm-up and replayed over three new
// batches matches the eager steps (losses, parameters, BatchNorm statistics; the same kernels on
// the same data, so within the fp32 tolerance - bit-equal unless a kernel reduces with atomics),
// and a replay performs no host synchronisation. The CPU test tests/cpu/graph_capture_test.cpp
// checks the same contract through the recorded-call replay on every CI run.
#include <gtest/gtest.h>

#include <cstdio>

#include "core/sync_counts.h"
#include "tests/gpu_test.h"
#include "tests/graph_step.h"
#include "tests/tolerance.h"
#include "train/cromss_loss.h"

namespace cromss {
namespace {

TEST(GraphCapture, CromssTrainingStepReplaysLikeEagerOnCuda) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 11;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const auto [eager, graph] = test::graph_steps(seed, 3, Device::cuda());
  const test::Tolerance tol = test::tolerance_for(DType::f32);
  const test::Comparison losses = test::compare_elementwise(graph.losses, eager.losses, tol);
  EXPECT_TRUE(losses.ok) << losses.summary("losses");
  auto as_double = [](const std::vector<float>& v) {
    return std::vector<double>(v.begin(), v.end());
  };
  const test::Comparison params =
      test::compare_elementwise(as_double(graph.params), as_double(eager.params), tol);
  EXPECT_TRUE(params.ok) << params.summary("parameters");
  ASSERT_EQ(eager.buffers.size(), graph.buffers.size());
  for (size_t i = 0; i < eager.buffers.size(); ++i) {
    const test::Comparison b =
        test::compare_elementwise(as_double(graph.buffers[i]), as_double(eager.buffers[i]), tol);
    EXPECT_TRUE(b.ok) << b.summary("buffer " + std::to_string(i));
  }
}

TEST(GraphCapture, ReplayWaitsForNothing) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const Device cuda = Device::cuda();
  Tensor x = Tensor::uniform({1 << 16}, -1, 1, 3).to(cuda);
  Tensor y = Tensor::zeros({1 << 16}, DType::f32, cuda);
  Context& ctx = Context::get(cuda);
  CapturedGraph g = CapturedGraph::capture(ctx, [&] { y.copy_(x); });
  const SyncCountScope syncs;
  for (int i = 0; i < 10; ++i) g.replay();
  EXPECT_EQ(syncs.elapsed().total(), 0);
  EXPECT_EQ(y.to_vector<float>(), x.to_vector<float>());
}

}  // namespace
}  // namespace cromss
