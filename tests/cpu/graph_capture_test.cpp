// Graph capture on the CPU (core/graph_capture.h): dispatch() records each kernel call and
// replay() runs the list, with the contract of a CUDA graph - nothing runs during the capture,
// replays use the captured addresses and scalars, host code does not run again. So these tests
// check on every CI run what a GPU replay relies on: a whole CromSS training step captured once
// and replayed over new batches gives bit-identical losses, parameters and BatchNorm statistics
// to the eager steps; and the allocator's private pool keeps the captured memory to the graph.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "core/allocator.h"
#include "core/graph_capture.h"
#include "engine/ops/elementwise.h"
#include "tests/graph_step.h"
#include "train/cromss_loss.h"

namespace cromss {
namespace {

TEST(GraphCapture, NothingRunsUntilReplayAndReplayReadsTheInputsAgain) {
  Tensor x = Tensor::from_vector<float>({1, 2, 3}, {3});
  Tensor y = Tensor::zeros({3});
  CapturedGraph g = CapturedGraph::capture(Context::get(Device::cpu()), [&] {
    y.copy_(add(mul(x, x), x));  // y = x^2 + x
  });
  EXPECT_GT(g.host_calls(), 0u);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 0, 0})) << "ran during the capture";
  g.replay();
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{2, 6, 12}));
  x.copy_(Tensor::from_vector<float>({-1, 0, 4}, {3}));
  g.replay();
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 0, 20}));
}

TEST(GraphCapture, ScalarsAreBakedInAtCapture) {
  Tensor x = Tensor::from_vector<float>({1, 2}, {2});
  Tensor y = Tensor::zeros({2});
  double alpha = 3;
  CapturedGraph g =
      CapturedGraph::capture(Context::get(Device::cpu()), [&] { y.copy_(scale(x, alpha)); });
  alpha = 5;  // a host value changed after the capture does not reach the replay
  g.replay();
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 6}));
}

TEST(GraphCapture, FailedCaptureLeavesTheContextUsable) {
  Context& ctx = Context::get(Device::cpu());
  EXPECT_THROW(CapturedGraph::capture(ctx, [] { CROMSS_THROW(ValueError, "body failed"); }),
               ValueError);
  EXPECT_EQ(ctx.host_recording(), nullptr);
  Tensor x = Tensor::from_vector<float>({1, 2}, {2});
  EXPECT_EQ(add(x, x).to_vector<float>(), (std::vector<float>{2, 4}));  // runs eagerly again
}

TEST(GraphCapture, PrivatePoolKeepsCapturedMemoryToTheGraph) {
  Allocator& a = allocator_for(Device::cpu());
  const int pool = a.begin_private_pool();
  void* first = a.allocate(1000);
  a.deallocate(first, 1000);
  void* reused = a.allocate(1000);
  EXPECT_EQ(reused, first) << "a block freed inside the capture serves the capture again";
  void* kept = a.allocate(4096);  // outlives the capture, like a step's output tensor
  a.end_private_pool();
  a.deallocate(reused, 1000);
  void* outside = a.allocate(1000);
  EXPECT_NE(outside, first) << "the graph's memory went to an allocation outside it";
  EXPECT_EQ(a.private_pool_blocks(pool), 2u);
  a.release_private_pool(pool);
  EXPECT_EQ(a.private_pool_blocks(pool), 0u);
  a.deallocate(kept, 4096);  // in use at the release: freed normally now
  a.deallocate(outside, 1000);
}

TEST(GraphCapture, CromssTrainingStepReplaysBitIdentically) {
  const uint64_t seed = 11;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const auto [eager, graph] = test::graph_steps(seed, 2, Device::cpu());
  ASSERT_EQ(eager.losses.size(), 2u);
  EXPECT_NE(eager.losses[0], eager.losses[1]) << "the batches should differ";
  EXPECT_EQ(eager.losses, graph.losses);
  EXPECT_TRUE(eager.params == graph.params) << "parameters differ after the replays";
  ASSERT_EQ(eager.buffers.size(), graph.buffers.size());
  for (size_t i = 0; i < eager.buffers.size(); ++i)
    EXPECT_TRUE(eager.buffers[i] == graph.buffers[i]) << "buffer " << i;
}

}  // namespace
}  // namespace cromss
